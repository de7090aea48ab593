import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { loadJailConfig } from '../src/config/load.js';
import { loadFilterDefinition } from '../src/config/filter-load.js';
import { compileFilter } from '../src/filter/filter.js';
import { systemClock, systemTimers } from '../src/core/clock.js';
import type { Logger } from '../src/core/log.js';
import { CommandAction } from '../src/actions/command.js';
import { banValues } from '../src/actions/hub.js';
import { tempConfigDir } from './support/config-files.js';
import { line } from './support/filter-def.js';
import { processEnded } from './support/process-ended.js';

function quietLog(): { log: Logger; lines: { msg: string }[] } {
  const lines: { msg: string }[] = [];
  return { lines, log: pino({ level: 'info' }, { write: (l: string) => { lines.push(JSON.parse(l) as { msg: string }); } }) };
}

const HOSTILE = [
  '$(touch MARK)', '`touch MARK`', '";touch MARK;"', "';touch MARK;'", '|touch MARK', '&&touch${IFS}MARK', '\\$(touch MARK)',
];

function commandAction(dir: string, actionban: string, extra = '') {
  const cfg = tempConfigDir({
    'jail.local': `[x]\nenabled = true\nlogpath = /dev/null\naction = mine\n`,
    'action.d/mine.conf': `[Definition]\nactionban = ${actionban}\n${extra}`,
  });
  const [a] = loadJailConfig(cfg.dir).actions.get('x')!;
  cfg.remove();
  void dir;
  return a!;
}

test('injection through the stock sshd and apache-auth filters: user names and lines full of shell syntax reach the command as data, no command runs', async () => {
  const t = tempConfigDir();
  const out = join(t.dir, 'out');
  const mark = join(t.dir, 'MARK');
  try {
    const sshd = compileFilter(loadFilterDefinition(t.dir, 'sshd'), { clock: { now: () => Date.UTC(2026, 10, 21, 6, 0, 0) } });
    const apache = compileFilter(loadFilterDefinition(t.dir, 'apache-auth'), { clock: { now: () => Date.UTC(2026, 10, 21, 6, 0, 0) } });
    const hits = [];
    for (const [i, h] of HOSTILE.map((x) => x.replace(/MARK/g, mark)).entries()) {
      hits.push(...sshd.feed(line(`Nov 21 05:09:3${i} bastion sshd[2716]: Failed password for invalid user ${h} from 198.51.100.7 port 5136${i} ssh2`)));
      hits.push(...apache.feed(line(`[Sat Nov 21 05:09:3${i}.000000 2026] [auth_basic:error] [pid 1:tid 2] [client 203.0.113.9:5${i}] AH01618: user ${h} not found: /admin`)));
    }
    assert.equal(hits.length, HOSTILE.length * 2, 'every hostile line is a hit');
    assert.ok(hits.some((h) => h.fields.user?.includes('$(touch')), 'the user field carries the payload');
    const a = commandAction(t.dir, `printf '%%s|%%s|%%s\\n' "<F-USER>" <matches> '<ip>' >> ${out}; echo <F-USER> >> ${out}; echo '<F-USER>' "<ipjailmatches>" >> ${out}`);
    const { log } = quietLog();
    const action = new CommandAction({ ...a, def: a.def! }, { clock: systemClock, timers: systemTimers, log });
    for (const h of hits) {
      const r = await action.run('ban', banValues({
        op: 'ban', jail: 'x', addr: h.addr, bannedAt: Date.now(), expiresAt: null, banCount: 1, failures: 1, matches: h.matches, fields: h.fields,
      }));
      assert.deepEqual(r, { kind: 'done' });
    }
    assert.ok(!existsSync(mark), 'no injected command ran');
    const text = readFileSync(out, 'utf8');
    for (const h of hits) assert.ok(text.includes(`${h.fields.user}|${h.matches[0]}|${h.addr}`), `value passed unchanged: ${h.fields.user}`);
  } finally { t.remove(); }
});

test('a hanging action is killed with its process group at its timeout, the next one runs', async () => {
  const t = tempConfigDir();
  const pidFile = join(t.dir, 'pid');
  try {
    const a = commandAction(t.dir, `sh -c 'echo $$ > ${pidFile}; exec sleep 300' & wait; echo never`, `[Init]\ntimeout = 1\n`);
    const { log, lines } = quietLog();
    const action = new CommandAction({ ...a, def: a.def! }, { clock: systemClock, timers: systemTimers, log });
    const values = banValues({ op: 'ban', jail: 'x', addr: '192.0.2.1', bannedAt: Date.now(), expiresAt: null, banCount: 1, failures: 1, matches: [], fields: {} });
    const r = await action.run('ban', values);
    assert.equal(r.kind, 'retry');
    assert.match((r as { error: string }).error, /timed out/);
    const grandchild = Number(readFileSync(pidFile, 'utf8'));
    let alive = true;
    for (let i = 0; i < 50 && alive; i++) {
      alive = !processEnded(grandchild);
      if (alive) await new Promise((res) => setTimeout(res, 20));
    }
    assert.equal(alive, false, 'the grandchild in the group was killed too');
    assert.ok(lines.some((l) => /action mine actionban 192\.0\.2\.1 failed: timed out/.test(l.msg)), 'logged with action, address and the reason');
    const ok = commandAction(t.dir, 'true');
    assert.deepEqual(await new CommandAction({ ...ok, def: ok.def! }, { clock: systemClock, timers: systemTimers, log }).run('ban', values), { kind: 'done' });
  } finally { t.remove(); }
});

test('actioncheck failing runs actionrepair, then the ban; exit codes are reported', async () => {
  const t = tempConfigDir();
  const state = join(t.dir, 'state');
  try {
    const a = commandAction(t.dir, `echo ban <ip> >> ${state}`, `actionstart = echo start >> ${state}\nactioncheck = grep -q repaired ${state}\nactionrepair = echo repaired >> ${state}\nactionunban = exit 7\n`);
    const { log, lines } = quietLog();
    const action = new CommandAction({ ...a, def: a.def! }, { clock: systemClock, timers: systemTimers, log });
    const values = banValues({ op: 'ban', jail: 'x', addr: '2001:db8::5', bannedAt: Date.now(), expiresAt: null, banCount: 1, failures: 1, matches: [], fields: {} });
    await action.start();
    assert.deepEqual(await action.run('ban', values), { kind: 'done' });
    assert.deepEqual(readFileSync(state, 'utf8').split('\n').filter(Boolean), ['start', 'repaired', 'ban 2001:db8::5']);
    assert.deepEqual(await action.run('unban', values), { kind: 'retry', error: 'exit code 7' });
    assert.ok(lines.some((l) => /actionunban 2001:db8::5 failed: exit code 7/.test(l.msg)));
  } finally { t.remove(); }
});
