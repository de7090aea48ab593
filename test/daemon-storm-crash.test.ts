/**
 * Kernel first, store second, read positions last (src/bans/manager.ts): a
 * daemon killed at any moment of a storm loses no ban, and the start after it
 * never takes a ban out of the kernel that the re-read lines ban again.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { DaemonHarness, jailSection } from './support/daemon-harness.js';
import { hostFirewallSnapshot, waitFor } from './support/netns.js';

const hostBefore = hostFirewallSnapshot();
after(() => assert.equal(hostFirewallSnapshot(), hostBefore, 'the host firewall is untouched'));

const STORM = 10_000;
const LINES_EACH = 5;

/** The storm's addresses: 10,000 IPv6 documentation addresses. */
function stormAddresses(): string[] {
  return Array.from({ length: STORM }, (_, i) => `2001:db8:5::${(i + 1).toString(16)}`);
}

/** Five failure lines per address, the addresses interleaved as a real storm is. */
function stormLines(addrs: readonly string[]): string[] {
  const lines: string[] = [];
  for (let n = 0; n < LINES_EACH; n++) for (const a of addrs) lines.push(`FAIL login from ${a}`);
  return lines;
}

/** `nft monitor` in the daemon's namespace, collecting element deletions. */
class ElementMonitor {
  readonly deleted: string[] = [];
  private readonly child: ChildProcess;
  private buf = '';

  constructor(ns: string) {
    this.child = spawn('ip', ['netns', 'exec', ns, 'nft', 'monitor', 'elements'], { stdio: ['ignore', 'pipe', 'ignore'] });
    this.child.stdout!.setEncoding('utf8').on('data', (c: string) => {
      this.buf += c;
      let nl: number;
      while ((nl = this.buf.indexOf('\n')) >= 0) {
        const line = this.buf.slice(0, nl);
        this.buf = this.buf.slice(nl + 1);
        if (line.startsWith('delete element')) this.deleted.push(line);
      }
    });
  }

  /** Stops the monitor once it has passed on everything so far. */
  async stop(): Promise<void> {
    const done = new Promise((r) => this.child.once('exit', r));
    this.child.kill('SIGTERM');
    await done;
  }
}

test('kill -9 in the middle of a storm of 10,000: after restart every ban is in the kernel and in the store, none taken out meanwhile', async () => {
  const h = new DaemonHarness('storm', '');
  let monitor: ElementMonitor | null = null;
  try {
    const logfile = h.path('storm.log');
    h.touch(logfile);
    h.config.write('jail.local', jailSection('storm', logfile, { bantime: '1h', maxretry: String(LINES_EACH) }));
    await h.start();
    const all = stormAddresses();
    // The storm comes in 20 writes, so the kill lands while bans are being made.
    let written = 0;
    const writer = (async () => {
      while (written < all.length && h.child?.exitCode === null && h.child?.signalCode === null) {
        h.append(logfile, stormLines(all.slice(written, written + 500)));
        written += 500;
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    assert.ok(await waitFor(() => h.events('ban').length >= 1000, 30_000, 5), 'bans are flowing');
    await h.signal('SIGKILL');
    await writer;
    const atKill = new Set(h.elements('storm', 'v6').map((e) => e.addr));
    assert.ok(atKill.size >= 1000, `bans in the kernel at the kill (${atKill.size})`);

    monitor = new ElementMonitor(h.ns.name);
    await h.start();
    h.append(logfile, stormLines(all.slice(written)));
    const inKernel = (): number => h.elements('storm', 'v6').length;
    assert.ok(await waitFor(() => inKernel() >= STORM, 60_000, 100), `all ${STORM} bans in the kernel (got ${inKernel()})`);
    const kernel = h.elements('storm', 'v6').map((e) => e.addr);
    assert.equal(kernel.length, STORM);
    assert.equal(new Set(kernel).size, STORM, 'each address once in the kernel');
    const banned = await h.cliJson<{ addr: string }[]>(['banned']);
    const stored = new Set(banned.map((b) => b.addr));
    assert.equal(banned.length, STORM, 'the store holds each ban once');
    for (const a of all) assert.ok(stored.has(a), `${a} is in the store`);
    for (const a of atKill) assert.ok(stored.has(a), `${a}, in the kernel at the kill, is in the store`);
    await monitor.stop();
    assert.deepEqual(monitor.deleted, [], 'no element left the kernel during the restart');
    monitor = null;
  } finally {
    await monitor?.stop();
    await h.destroy();
  }
});

test('a ban in the kernel whose store commit a crash cut off is adopted at the next start, never removed; after a clean stop a stray element is removed', async () => {
  const h = new DaemonHarness('window', '');
  let monitor: ElementMonitor | null = null;
  const nft = (cmd: string): void => {
    const r = spawnSync('ip', ['netns', 'exec', h.ns.name, 'nft', cmd], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
  };
  try {
    const logfile = h.path('auth.log');
    h.touch(logfile);
    h.config.write('jail.local', jailSection('win', logfile, { bantime: '1h' }));
    await h.start();
    await h.signal('SIGKILL');
    // The state a kill between the kernel transaction and the store commit leaves: the element
    // is in the kernel, its line is past the saved read position, the store does not hold it.
    nft('add element inet f2b-fw win-v4 { 192.0.2.7 timeout 1h }');
    h.append(logfile, ['FAIL login from 192.0.2.7']);
    monitor = new ElementMonitor(h.ns.name);
    await h.start();
    assert.ok(await waitFor(() => h.events('adopt').length > 0, 10_000, 10), 'the unstored ban is adopted');
    assert.ok(await waitFor(() => h.logs.some((l) => l.addr === '192.0.2.7' && /already banned/.test(l.msg)), 10_000, 10), 'the re-read line finds it banned');
    const banned = await h.cliJson<{ addr: string; reason: string }[]>(['banned']);
    assert.deepEqual(banned.map((b) => b.addr), ['192.0.2.7']);
    assert.deepEqual(h.elements('win').map((e) => e.addr), ['192.0.2.7']);
    await monitor.stop();
    monitor = null;
    assert.equal(h.events('adopt')[0]!.adopted, 1);

    // A clean stop: the next start trusts the store, and the store is all that stays.
    assert.equal(await h.signal('SIGTERM'), 0);
    nft('add element inet f2b-fw win-v4 { 198.51.100.9 timeout 1h }');
    await h.start();
    assert.equal(h.events('adopt').length, 0, 'nothing adopted after a clean stop');
    assert.deepEqual(h.elements('win').map((e) => e.addr), ['192.0.2.7'], 'the stray element is removed by the start\'s reconcile');
  } finally {
    await monitor?.stop();
    await h.destroy();
  }
});
