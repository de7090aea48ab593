import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { DaemonHarness, jailSection } from './support/daemon-harness.js';
import { hostFirewallSnapshot, waitFor } from './support/netns.js';

const hostBefore = hostFirewallSnapshot();
after(() => assert.equal(hostFirewallSnapshot(), hostBefore, 'the host firewall is untouched'));

test('attack lines become kernel bans, persist, and come back with their remaining time after a restart', async () => {
  const h = new DaemonHarness('ban', '');
  try {
    const sshLog = h.path('ssh.log');
    h.touch(sshLog);
    h.config.write('jail.local', jailSection('sshd', sshLog, { maxretry: '2', bantime: '1h' }) + jailSection('web', h.path('web.log'), { bantime: '3s' }));
    h.touch(h.path('web.log'));
    await h.start();

    h.append(sshLog, ['FAIL login from 203.0.113.9', 'noise line', 'FAIL login from 203.0.113.9', 'FAIL login from 2001:db8::9', 'FAIL login from 2001:db8::9']);
    h.append(h.path('web.log'), ['FAIL login from 198.51.100.5']);
    assert.ok(await waitFor(() => h.elements('sshd').some((e) => e.addr === '203.0.113.9'), 5000), 'IPv4 ban in the kernel set');
    assert.ok(await waitFor(() => h.elements('sshd', 'v6').some((e) => e.addr === '2001:db8::9'), 5000), 'IPv6 ban in the kernel set');
    // The short web ban may already have run out in the kernel on a loaded machine: its log line tells.
    assert.ok(await waitFor(() => h.events('ban').some((l) => l.addr === '198.51.100.5'), 5000));
    const webBannedAt = h.events('ban').find((l) => l.addr === '198.51.100.5')!.time as number;
    const ban = h.logs.find((l) => l.event === 'ban' && l.addr === '203.0.113.9');
    assert.equal(ban?.msg, '[sshd] Ban 203.0.113.9');
    assert.equal(ban?.jail, 'sshd');
    assert.ok(h.logs.some((l) => l.event === 'found' && /^\[sshd\] Found 203\.0\.113\.9 - \d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/.test(l.msg)));

    const status = await h.cli(['status', 'sshd', '--json']);
    assert.equal(status.status, 0, status.stderr);
    const st = JSON.parse(status.stdout) as { currentlyBanned: number; bannedList: string[]; totalFailed: number };
    assert.equal(st.currentlyBanned, 2);
    assert.deepEqual([...st.bannedList].sort(), ['2001:db8::9', '203.0.113.9']);
    assert.equal(st.totalFailed, 4);

    assert.equal(h.events('repair').length, 0, 'our own bans are not mistaken for foreign changes');
    assert.equal(await h.signal('SIGTERM'), 0);
    assert.ok(h.elements('sshd').some((e) => e.addr === '203.0.113.9'), 'on_stop = keep leaves bans in the kernel');
    // The 3 s web ban runs out while the daemon is down: the kernel's own timeout tells (it was set
    // from the store's expiry, rounded up, after the store write, so the store's has passed too).
    assert.ok(await waitFor(() => !h.elements('web').some((e) => e.addr === '198.51.100.5'), 10_000, 100), 'the web ban ran out in the kernel');
    assert.ok(Date.now() >= webBannedAt + 3000, 'and in the store');
    h.ns.run('nft', ['flush', 'ruleset']);
    await h.start();
    const v4 = h.elements('sshd');
    assert.deepEqual(v4.map((e) => e.addr), ['203.0.113.9']);
    const remaining = v4[0]!.expires!;
    assert.ok(remaining > 3500 - 60 && remaining <= 3600, `remaining time ${remaining}s is the rest of the hour`);
    assert.deepEqual(h.elements('web'), [], 'an expired ban is not restored');
    const banned = await h.cliJson<{ addr: string }[]>(['banned']);
    assert.deepEqual(banned.map((b) => b.addr).sort(), ['2001:db8::9', '203.0.113.9']);
    const hist = await h.cliJson<{ jail: string }[]>(['history', '198.51.100.5']);
    assert.deepEqual(hist.map((x) => x.jail), ['web'], 'the expired ban stays in history');
  } finally {
    await h.destroy();
  }
});
