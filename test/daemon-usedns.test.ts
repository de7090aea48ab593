/**
 * usedns end to end: a daemon in a namespace whose /etc/hosts (bind-mounted by
 * `ip netns exec` from /etc/netns/NS/hosts, the host's own file untouched)
 * names 203.0.113.77. With `yes` the name's failures ban its address once the
 * background lookup has answered (the failure that started it is dropped and
 * logged); `warn` does the same with a warning per use; `no` never looks up.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, rmdirSync, writeFileSync, existsSync } from 'node:fs';
import { DaemonHarness, jailSection } from './support/daemon-harness.js';
import { hostFirewallSnapshot, waitFor } from './support/netns.js';

const hostBefore = hostFirewallSnapshot();
after(() => assert.equal(hostFirewallSnapshot(), hostBefore, 'the host firewall is untouched'));

const NAME = 'evil.f2bt.test';
const ADDR = '203.0.113.77';

test('usedns = yes and warn ban a host name once it resolves; no never looks it up', async () => {
  const h = new DaemonHarness('usedns', '');
  const etcNetns = '/etc/netns';
  const hadEtcNetns = existsSync(etcNetns);
  const nsEtc = `${etcNetns}/${h.ns.name}`;
  try {
    mkdirSync(nsEtc, { recursive: true });
    writeFileSync(`${nsEtc}/hosts`, `127.0.0.1 localhost\n${ADDR} ${NAME}\n`);
    const files = { yes: h.path('yes.log'), warn: h.path('warn.log'), no: h.path('no.log') };
    for (const f of Object.values(files)) h.touch(f);
    h.config.write('jail.local', Object.entries(files).map(([mode, f]) => jailSection(`j${mode}`, f, { usedns: mode, maxretry: '2' })).join(''));
    await h.start(['--loglevel', 'debug']); // a failure dropped while the lookup runs says so at debug
    const line = `FAIL login from ${NAME}`;
    for (const f of Object.values(files)) h.append(f, [line]);
    // One cache for all jails: the first jail to meet the name starts the lookup and says so.
    assert.ok(await waitFor(() => h.logs.some((l) => l.event === 'dns' && /^\[j(yes|warn)\] looking up host name /.test(l.msg)), 5000),
      `the first failure of a new name starts a lookup and is dropped:\n${h.logs.map((l) => JSON.stringify(l)).join('\n')}`);
    // Then every failure of the name counts once it resolves: two ban it (maxretry 2). Each line is
    // answered by the daemon (dropped while the lookup runs, Found once counted) before the next is written.
    const found = (jail: string) => h.logs.filter((l) => l.event === 'found' && l.jail === jail);
    const answers = (jail: string): number => h.logs.filter((l) => l.jail === jail && (l.event === 'dns' || l.event === 'found')).length;
    const inKernel = (): boolean => h.elements('jyes').some((e) => e.addr === ADDR) && h.elements('jwarn').some((e) => e.addr === ADDR);
    let banned = false;
    for (let i = 0; i < 500 && !banned; i++) {
      const seen = [answers('jyes'), answers('jwarn')];
      h.append(files.yes, [line]);
      h.append(files.warn, [line]);
      assert.ok(await waitFor(() => answers('jyes') > seen[0]! && answers('jwarn') > seen[1]!, 5000), 'the daemon answers every line');
      banned = found('jyes').length >= 2 && found('jwarn').length >= 2 && await waitFor(inKernel, 5000);
    }
    assert.ok(banned, `both jails ban ${ADDR}:\n${h.logs.map((l) => l.msg).join('\n')}`);
    assert.ok(found('jyes').every((l) => l.addr === ADDR));
    assert.ok(await waitFor(() => h.logs.some((l) => l.level === 40 && l.jail === 'jwarn' && l.msg === `[jwarn] host name ${NAME} taken as ${ADDR} (usedns = warn)`), 2000));
    assert.ok(!h.logs.some((l) => l.jail === 'jyes' && l.level === 40), 'yes does not warn');
    // Lines are read in order: the Found of the address written after the names means they were read.
    h.append(files.no, [line, line, line, 'FAIL login from 192.0.2.99']);
    assert.ok(await waitFor(() => found('jno').length > 0, 5000), 'jno read its file');
    assert.deepEqual(h.elements('jno'), []);
    assert.deepEqual(found('jno').map((l) => l.addr), ['192.0.2.99'], 'usedns = no: the name is no failure');
    assert.ok(!h.logs.some((l) => l.jail === 'jno' && l.event === 'dns'), 'and no lookup');
  } finally {
    await h.destroy();
    rmSync(nsEtc, { recursive: true, force: true });
    if (!hadEtcNetns) rmdirSync(etcNetns);
  }
});
