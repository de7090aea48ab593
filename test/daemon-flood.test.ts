import { test, after } from 'node:test';
import { spawnSync } from 'node:child_process';
import assert from 'node:assert/strict';
import { DaemonHarness, jailSection } from './support/daemon-harness.js';
import { hostFirewallSnapshot, waitFor } from './support/netns.js';

const hostBefore = hostFirewallSnapshot();
after(() => assert.equal(hostFirewallSnapshot(), hostBefore, 'the host firewall is untouched'));

/** `n` distinct addresses in 2001:db8::/32, one attack line each. */
function floodLines(n: number): string[] {
  const lines: string[] = [];
  for (let i = 0; i < n; i++) lines.push(`FAIL login from 2001:db8:${(i >>> 16).toString(16)}:${(i & 0xffff).toString(16)}::1`);
  return lines;
}

/** Number of elements of one of our sets (`nft -j`, whose 100,000-element answer is megabytes). */
function setSize(h: DaemonHarness, set: string): number {
  const r = spawnSync('ip', ['netns', 'exec', h.ns.name, 'nft', '-j', 'list', 'set', 'inet', 'f2b-fw', set], { encoding: 'utf8', maxBuffer: 1 << 28 });
  assert.equal(r.status, 0, r.stderr);
  const doc = JSON.parse(r.stdout) as { nftables: { set?: { elem?: unknown[] } }[] };
  return doc.nftables.find((o) => o.set)?.set?.elem?.length ?? 0;
}

test('a flood of 100,000 distinct IPv6 addresses with maxretry 1 is banned without the daemon dying', async () => {
  const h = new DaemonHarness('flood', '');
  try {
    const log = h.path('flood.log');
    h.touch(log);
    h.config.write('jail.local', jailSection('flood', log, { bantime: '1h' }));
    await h.start();
    const n = 100_000;
    const lines = floodLines(n);
    h.append(log, lines);
    const exited = (): boolean => h.child!.exitCode !== null || h.child!.signalCode !== null;
    // The daemon's stdout is this test's pipe: read slower than a 100,000-ban flood is logged, lines past
    // the console cap are dropped and counted (event log-dropped), so the count here is what the daemon says.
    const banned = async (): Promise<number> => (await h.cliJson<{ currentlyBanned: number }>(['status', 'flood'])).currentlyBanned;
    const done = await waitFor(async () => exited() || (await banned()) >= n, 240_000, 1000);
    assert.ok(done, `bans in force: ${await banned()} of ${n}`);
    assert.ok(!exited(), `the daemon is alive (exit ${h.child!.exitCode ?? h.child!.signalCode})`);
    assert.equal(await banned(), n);
    // The drop count is logged once a second, and this side parses the pipe behind the daemon.
    const dropped = (): number => h.events('log-dropped').reduce((sum, l) => sum + (l.dropped as number), 0);
    assert.ok(await waitFor(() => h.events('ban').length + dropped() >= n, 60_000, 200),
      `every ban logged or counted as dropped: ${h.events('ban').length} + ${dropped()}`);
    assert.equal(setSize(h, 'flood-v6'), n, 'every ban is in the kernel set');
    assert.deepEqual(h.events('repair').map((l) => l.msg), [], 'our own big batches are not mistaken for lost or foreign events');
    assert.equal(await h.signal('SIGTERM'), 0);
  } finally {
    await h.destroy();
  }
});
