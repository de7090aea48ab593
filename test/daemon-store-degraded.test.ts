/**
 * The database failing under the daemon (issue 10.1): a full disk (a real 2 MB
 * tmpfs filled up) or a read-only remount while running, and a read-only
 * database at start. The daemon must keep banning in the kernel, say it is
 * degraded (log, status, metric), write the kernel-only bans back once the
 * store is writable again, and never let a reconcile remove them.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { DaemonHarness, jailSection } from './support/daemon-harness.js';
import { hostFirewallSnapshot, waitFor } from './support/netns.js';
import { Tmpfs } from './support/tmpfs.js';
import { BanStore } from '../src/bans/store.js';
import { fetchUnix } from './support/fetch-unix.js';

const hostBefore = hostFirewallSnapshot();
after(() => assert.equal(hostFirewallSnapshot(), hostBefore, 'the host firewall is untouched'));

interface StoreState { readonly state: string; readonly unwritten: number; readonly reason: string | null }

const addr = (i: number): string => `198.51.100.${i}`;

async function attack(h: DaemonHarness, logfile: string, from: number, to: number): Promise<void> {
  const lines: string[] = [];
  for (let i = from; i <= to; i++) lines.push(`FAIL login from ${addr(i)}`);
  h.append(logfile, lines);
  const want = new Set(lines.map((l) => l.slice('FAIL login from '.length)));
  const ok = await waitFor(() => {
    const inKernel = new Set(h.elements('db').map((e) => e.addr));
    return [...want].every((a) => inKernel.has(a));
  }, 20_000, 50);
  assert.ok(ok, `bans ${addr(from)}…${addr(to)} reached the kernel (daemon alive: ${h.child?.exitCode === null})`);
}

function storedBans(file: string): string[] {
  return BanStore.readBans(file, Date.now()).map((b) => b.addr).sort();
}

async function storeState(h: DaemonHarness): Promise<StoreState> {
  return (await h.cliJson<{ store: StoreState }>(['status'])).store;
}

/** A daemon with its database on a fresh 2 MB tmpfs and metrics on a unix socket; everything removed after. */
async function withTmpfsDaemon(label: string, fn: (h: DaemonHarness, fs: Tmpfs, logfile: string) => Promise<void>): Promise<void> {
  const fs = Tmpfs.mount('2m');
  const h = new DaemonHarness(label, '', {}, fs.path('f2b.sqlite3'));
  try {
    const logfile = h.path('auth.log');
    h.touch(logfile);
    h.config.write('jail.local', jailSection('db', logfile, { bantime: '1h' }));
    h.config.write('f2b-fw.conf', `[Definition]\nmetrics = ${h.path('metrics.sock')}\n`);
    await h.start();
    await attack(h, logfile, 1, 5);
    await fn(h, fs, logfile);
  } finally {
    await h.destroy();
    fs.unmount();
  }
}

const inOrder = (n: number): string[] => [...Array(n).keys()].map((i) => addr(i + 1)).sort();

test('disk full (2 MB tmpfs) while running: bans keep reaching the kernel, degraded is reported, bans written back after space returns', async () => {
  await withTmpfsDaemon('dbfull', async (h, fs, logfile) => {
    fs.fill();
    await attack(h, logfile, 6, 60);
    assert.equal(h.child?.exitCode, null, 'the daemon is still running');
    assert.ok(await waitFor(() => h.events('store').some((l) => l.state === 'degraded'), 10_000), 'degraded is logged');
    const st = await storeState(h);
    assert.equal(st.state, 'degraded');
    assert.ok(st.unwritten > 0, 'status counts the bans only the kernel holds');
    assert.match((await h.cli(['status'])).stdout, /Database:\s+degraded/, 'plain status says it too');
    const m = await fetchUnix(h.path('metrics.sock'), '/metrics');
    assert.match(m.body, /^f2b_fw_store_degraded 1$/m);
    assert.match(m.body, /^f2b_fw_store_unwritten_bans [1-9]\d*$/m);
    // A reconcile while degraded keeps the kernel-only bans.
    assert.equal((await h.cli(['reconcile'])).status, 0);
    assert.equal(h.elements('db').length, 60, 'reconcile removed no kernel-only ban');
    fs.drain();
    assert.ok(await waitFor(() => h.events('store').some((l) => l.state === 'ok'), 15_000), 'recovery is logged');
    assert.equal(h.events('store').filter((l) => l.state === 'degraded').length, 1, 'degraded logged once');
    assert.equal((await storeState(h)).state, 'ok');
    assert.match((await fetchUnix(h.path('metrics.sock'), '/metrics')).body, /^f2b_fw_store_degraded 0$/m);
    assert.equal(await h.signal('SIGTERM'), 0);
    assert.deepEqual(storedBans(h.db), inOrder(60), 'every kernel-only ban was written back');
  });
});

test('read-only database at start: a degraded start with the bans restored, not a crash; written back once writable', async () => {
  await withTmpfsDaemon('dbrostart', async (h, fs, logfile) => {
    assert.equal(await h.signal('SIGTERM'), 0);
    h.ns.run('nft', ['flush', 'ruleset']);
    fs.readOnly(true);
    await h.start();
    assert.equal(h.elements('db').length, 5, 'the stored bans are restored from the read-only database');
    assert.equal((await storeState(h)).state, 'degraded');
    assert.equal(h.events('store').filter((l) => l.state === 'degraded').length, 1, 'the degraded start is logged');
    await attack(h, logfile, 6, 20);
    assert.equal(h.child?.exitCode, null, 'still running');
    fs.readOnly(false, h.child!.pid);
    assert.ok(await waitFor(() => h.events('store').some((l) => l.state === 'ok'), 15_000), 'recovery is logged');
    assert.equal((await storeState(h)).state, 'ok');
    assert.equal(await h.signal('SIGTERM'), 0);
    assert.deepEqual(storedBans(h.db), inOrder(20));
  });
});
