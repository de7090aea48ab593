/**
 * ignoreself follows address changes (issue 10.10): an address added after
 * start, or one on an interface without carrier at start, is never banned;
 * an address removed is bannable again. Real rtnetlink events in a namespace.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { DaemonHarness, jailSection } from './support/daemon-harness.js';
import { hostFirewallSnapshot, waitFor } from './support/netns.js';

const hostBefore = hostFirewallSnapshot();
after(() => assert.equal(hostFirewallSnapshot(), hostBefore, 'the host firewall is untouched'));

test('ignoreself: addresses added after start and on a link without carrier are not banned; a removed one is', async () => {
  const h = new DaemonHarness('ignself', '');
  try {
    // A veth whose peer stays down: own0 has no carrier, so getifaddrs-based lists skip it.
    h.ns.run('ip', ['link', 'add', 'own0', 'type', 'veth', 'peer', 'name', 'own1']);
    h.ns.run('ip', ['addr', 'add', '192.0.2.1/24', 'dev', 'own0']);
    h.ns.run('ip', ['link', 'set', 'own0', 'up']);
    const logfile = h.path('auth.log');
    h.touch(logfile);
    h.config.write('jail.local', jailSection('self', logfile, { ignoreself: 'true' }));
    await h.start();
    h.ns.run('ip', ['addr', 'add', '198.51.100.50/24', 'dev', 'own0']);
    h.ns.run('ip', ['-6', 'addr', 'add', '2001:db8:50::1/64', 'dev', 'own0', 'nodad']);
    // Each own address fails, then a stranger: once the stranger is banned, the lines before were judged.
    h.append(logfile, ['FAIL login from 192.0.2.1', 'FAIL login from 198.51.100.50', 'FAIL login from 2001:db8:50::1', 'FAIL login from 203.0.113.60']);
    assert.ok(await waitFor(() => h.elements('self').some((e) => e.addr === '203.0.113.60'), 10_000), 'the stranger is banned');
    const banned = [...h.elements('self'), ...h.elements('self', 'v6')].map((e) => e.addr);
    assert.deepEqual(banned, ['203.0.113.60'], 'no own address banned (no carrier at start, added after start)');
    h.ns.run('ip', ['addr', 'del', '198.51.100.50/24', 'dev', 'own0']);
    h.append(logfile, ['FAIL login from 198.51.100.50']);
    assert.ok(await waitFor(() => h.elements('self').some((e) => e.addr === '198.51.100.50'), 10_000), 'a removed address is no longer ours: banned');
  } finally {
    await h.destroy();
  }
});
