import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { systemClock, systemTimers } from '../src/core/clock.js';
import { IgnoreCommand, type ReverseResolver } from '../src/actions/ignore-command.js';
import { loadJailConfig } from '../src/config/load.js';
import { tempConfigDir } from './support/config-files.js';
import { ManualClock } from './support/manual-clock.js';

const setting = (value: string) => ({ value, pos: { file: 'jail.local', line: 3, section: 'web', key: 'ignorecommand', value } });

test('ignorecommand: exit 0 ignores, 1 bans, the address only as a variable; answers cached for findtime; a hanging command is killed and the ban goes ahead', async () => {
  const t = tempConfigDir();
  try {
    const calls = join(t.dir, 'calls');
    const script = t.write('ask.sh', `#!/bin/sh\necho "$1" >> ${calls}\n[ "$1" = 192.0.2.1 ]\n`);
    chmodSync(script, 0o755);
    const lines: string[] = [];
    const log = pino({ level: 'info' }, { write: (l: string) => { lines.push((JSON.parse(l) as { msg: string }).msg); } });
    const clock = new ManualClock();
    const ic = new IgnoreCommand(setting(`${script} <ip>`), 'web', 600, { clock, timers: systemTimers, log });
    assert.equal(await ic.ignored('192.0.2.1'), true);
    assert.equal(await ic.ignored('192.0.2.2'), false);
    assert.equal(await ic.ignored('192.0.2.1'), true);
    assert.deepEqual(readFileSync(calls, 'utf8').split('\n').filter(Boolean), ['192.0.2.1', '192.0.2.2'], 'cached');
    await clock.advance(600_001);
    await ic.ignored('192.0.2.1');
    assert.equal(readFileSync(calls, 'utf8').split('\n').filter(Boolean).length, 3, 'asked again after findtime');
    const hang = new IgnoreCommand(setting('sleep 30; true <ip>'), 'web', 600, { clock: systemClock, timers: systemTimers, log, timeoutMs: 300 });
    assert.equal(await hang.ignored('198.51.100.1'), false);
    assert.ok(lines.some((l) => /ignorecommand for 198\.51\.100\.1 failed \(timed out/.test(l)));
  } finally { t.remove(); }
});

test('the stock apache-fakegooglebot ignorecommand is answered natively: reverse name under googlebot.com that resolves back', async () => {
  const dns: Record<string, string[]> = {
    '66.249.66.1': ['crawl-66-249-66-1.googlebot.com'], 'crawl-66-249-66-1.googlebot.com': ['66.249.66.1'],
    '203.0.113.8': ['crawl.googlebot.com.attacker.example'], '203.0.113.9': ['crawl-1.googlebot.com'], 'crawl-1.googlebot.com': ['66.249.66.9'],
  };
  const resolver: ReverseResolver = { reverse: async (a) => dns[a] ?? [], addresses: async (n) => dns[n] ?? [] };
  const cfg = tempConfigDir({ 'jail.local': '[apache-fakegooglebot]\nenabled = true\nlogpath = /dev/null\n' });
  try {
    const jail = loadJailConfig(cfg.dir).jails.find((j) => j.name === 'apache-fakegooglebot')!;
    const ic = new IgnoreCommand(jail.settings.get('ignorecommand')!, jail.name, 600, { clock: systemClock, timers: systemTimers, log: pino({ level: 'silent' }), resolver });
    assert.equal(await ic.ignored('66.249.66.1'), true, 'the real Googlebot is not banned');
    assert.equal(await ic.ignored('203.0.113.8'), false, 'a name that only contains googlebot.com');
    assert.equal(await ic.ignored('203.0.113.9'), false, 'a reverse name that does not resolve back');
  } finally { cfg.remove(); }
});
