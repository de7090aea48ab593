import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { DaemonHarness, jailSection } from './support/daemon-harness.js';
import { hostFirewallSnapshot, waitFor } from './support/netns.js';

const hostBefore = hostFirewallSnapshot();
after(() => assert.equal(hostFirewallSnapshot(), hostBefore, 'the host firewall is untouched'));

test('the daemon on the ipset + iptables backend bans into ipsets and repairs a flushed set by the periodic check', async () => {
  const h = new DaemonHarness('ipsetd', '');
  try {
    const log = h.path('a.log');
    h.touch(log);
    h.config.write('jail.local', jailSection('sshd', log));
    await h.start(['--backend', 'ipset']);
    h.append(log, ['FAIL login from 203.0.113.9', 'FAIL login from 2001:db8::9']);
    const members = (set: string): string[] => h.ns.run('ipset', ['list', set]).split('\n').filter((l) => /^[0-9a-f.:]+ timeout/.test(l)).map((l) => l.split(' ')[0]!);
    assert.ok(await waitFor(() => members('f2b-sshd').includes('203.0.113.9') && members('f2b-sshd-6').includes('2001:db8::9'), 5000));
    assert.match(h.ns.run('iptables-save', []), /-A INPUT .*-j f2b-sshd/);
    h.ns.run('ipset', ['flush', 'f2b-sshd']);
    assert.ok(await waitFor(() => members('f2b-sshd').includes('203.0.113.9'), 12_000), 'repaired by the periodic check');
    assert.ok(await waitFor(() => h.events('repair').length > 0, 2000));
    assert.match(h.events('repair')[0]!.msg, /repaired the firewall \(periodic\).*203\.0\.113\.9/s);
  } finally {
    await h.destroy();
  }
});
