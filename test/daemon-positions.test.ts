/**
 * Read positions are kept per jail: two jails reading one file each resume
 * where they themselves stopped, across restarts, and a store written before
 * positions were per jail (keyed by path alone) is taken over on upgrade.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { DaemonHarness, jailSection } from './support/daemon-harness.js';
import { hostFirewallSnapshot, waitFor } from './support/netns.js';
import { jailPositions } from '../src/daemon/jails.js';
import { MemoryPositionStore } from '../src/sources/position.js';

const hostBefore = hostFirewallSnapshot();
after(() => assert.equal(hostFirewallSnapshot(), hostBefore, 'the host firewall is untouched'));

test('two jails on one file: each resumes at its own position after a restart', async () => {
  const h = new DaemonHarness('pos', '');
  try {
    const log = h.path('shared.log');
    h.touch(log);
    const config = (both: boolean): string =>
      jailSection('ja', log, { maxretry: '100' }) + jailSection('jb', log, { maxretry: '100', enabled: String(both) });
    const failed = async (jail: string): Promise<number> => (await h.cliJson<{ totalFailed: number }>(['status', jail])).totalFailed;
    const line = 'FAIL login from 198.51.100.20';

    h.config.write('jail.local', config(true));
    await h.start();
    h.append(log, [line]);
    assert.ok(await waitFor(async () => (await failed('ja')) === 1 && (await failed('jb')) === 1, 5000));
    assert.equal(await h.signal('SIGTERM'), 0);

    // jb is off for a while; ja goes on reading.
    h.config.write('jail.local', config(false));
    await h.start();
    h.append(log, [line, line]);
    assert.ok(await waitFor(async () => (await failed('ja')) === 2, 5000));
    assert.equal(await h.signal('SIGTERM'), 0);

    // Both again: jb reads the two lines it missed, ja nothing twice.
    h.config.write('jail.local', config(true));
    await h.start();
    assert.ok(await waitFor(async () => (await failed('jb')) === 2, 5000), `jb resumed at its own position: ${await failed('jb')}`);
    h.append(log, [line]);
    assert.ok(await waitFor(async () => (await failed('ja')) === 1 && (await failed('jb')) === 3, 5000));
    assert.equal(await failed('ja'), 1, 'ja did not read its lines again');
  } finally {
    await h.destroy();
  }
});

test('a position saved under the bare path (a store from before per-jail keys) is used until the jail saves its own', () => {
  const store = new MemoryPositionStore();
  const legacy = { offset: 120, firstLineHash: 'abc', inode: 7 };
  store.set('/var/log/auth.log', legacy);
  const a = jailPositions('sshd', store);
  const b = jailPositions('recidive', store);
  assert.deepEqual(a.get('/var/log/auth.log'), legacy);
  a.set('/var/log/auth.log', { offset: 300, firstLineHash: 'abc', inode: 7 });
  assert.equal(a.get('/var/log/auth.log')!.offset, 300);
  assert.equal(b.get('/var/log/auth.log')!.offset, 120, 'the other jail is not moved by sshd');
  assert.equal(store.get('[sshd] /var/log/auth.log')!.offset, 300);
});
