import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { CLI_ENTRY } from '../src/core/paths.js';
import { BanStore } from '../src/bans/store.js';
import { DaemonHarness, jailSection } from './support/daemon-harness.js';
import { hostFirewallSnapshot, waitFor } from './support/netns.js';

const hostBefore = hostFirewallSnapshot();
after(() => assert.equal(hostFirewallSnapshot(), hostBefore, 'the host firewall is untouched'));

test('f2b-fw reconcile restores the store\'s bans with no daemon, and asks a running daemon when there is one', async () => {
  const h = new DaemonHarness('recon', '');
  try {
    h.touch(h.path('a.log'));
    h.config.write('jail.local', jailSection('sshd', h.path('a.log')));
    const store = BanStore.open(h.db);
    const now = Date.now();
    store.addBans([
      { jail: 'sshd', addr: '203.0.113.21', bannedAt: now, expiresAt: now + 600_000, reason: 'test', matches: [] },
      { jail: 'sshd', addr: '203.0.113.22', bannedAt: now - 700_000, expiresAt: now - 100_000, reason: 'test', matches: [] },
    ]);
    store.close();
    const args = ['reconcile', '--config-dir', h.config.dir, '--db', h.db, '--socket', h.socket, '--json'];
    const alone = JSON.parse(h.ns.run('node', [CLI_ENTRY, ...args])) as { applied: boolean; changes: { kind: string }[] };
    assert.equal(alone.applied, true);
    assert.deepEqual(h.elements('sshd').map((e) => e.addr), ['203.0.113.21'], 'the ban in force, not the expired one');
    assert.ok(h.elements('sshd')[0]!.expires! > 500);

    await h.start();
    h.ns.run('nft', ['flush', 'set', 'inet', 'f2b-fw', 'sshd-v4']);
    // Whether the daemon's watcher or this command gets there first, the command goes through the daemon.
    const viaDaemon = JSON.parse(h.ns.run('node', [CLI_ENTRY, ...args])) as { dryRun: boolean };
    assert.equal(viaDaemon.dryRun, false);
    assert.ok(await waitFor(() => h.events('reconcile').length === 1, 2000), 'the running daemon did it');
    assert.deepEqual(h.elements('sshd').map((e) => e.addr), ['203.0.113.21']);
  } finally {
    await h.destroy();
  }
});
