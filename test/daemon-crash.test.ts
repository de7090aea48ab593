import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { DaemonHarness, jailSection } from './support/daemon-harness.js';
import { hostFirewallSnapshot, waitFor } from './support/netns.js';

const hostBefore = hostFirewallSnapshot();
after(() => assert.equal(hostFirewallSnapshot(), hostBefore, 'the host firewall is untouched'));

/** 1,000 distinct documentation addresses: 500 IPv4, 500 IPv6. */
function addresses(): string[] {
  const v4 = [...Array(250).keys()].flatMap((i) => [`192.0.2.${i + 1}`, `198.51.100.${i + 1}`]);
  const v6 = [...Array(500).keys()].map((i) => `2001:db8:b::${(i + 1).toString(16)}`);
  return [...v4, ...v6];
}

test('SIGKILL during a burst of 1,000 bans loses none: after restart each is in the kernel once with its remaining time', async () => {
  const h = new DaemonHarness('crash', '');
  try {
    const logfile = h.path('burst.log');
    h.touch(logfile);
    h.config.write('jail.local', jailSection('burst', logfile, { bantime: '1h' }));
    await h.start();
    const all = addresses();
    let written = 0;
    const alive = (): boolean => h.child?.exitCode === null && h.child?.signalCode === null;
    // The burst is paced by the daemon: the next 50 lines once it has banned all but the last 50 written.
    const writer = (async () => {
      while (written < all.length && alive()) {
        h.append(logfile, all.slice(written, written + 50).map((a) => `FAIL login from ${a}`));
        written += 50;
        await waitFor(() => !alive() || h.events('ban').length >= written - 50, 10_000, 5);
      }
    })();
    assert.ok(await waitFor(() => h.events('ban').length >= 100, 10_000, 5), 'bans are flowing');
    await h.signal('SIGKILL');
    const killedAfter = h.events('ban').length;
    await writer;
    const before = Date.now();
    await h.start();
    // What the writer did not get to write before the kill comes now.
    h.append(logfile, all.slice(written).map((a) => `FAIL login from ${a}`));
    const inKernel = (): number => h.elements('burst').length + h.elements('burst', 'v6').length;
    assert.ok(await waitFor(() => inKernel() >= all.length, 20_000, 100), `all 1,000 bans in the kernel (got ${inKernel()}, ${killedAfter} logged before the kill)`);
    const v4 = h.elements('burst');
    const v6 = h.elements('burst', 'v6');
    assert.equal(v4.length + v6.length, 1000);
    assert.equal(new Set([...v4, ...v6].map((e) => e.addr)).size, 1000, 'each address once');
    const banned = await h.cliJson<{ addr: string; expiresAt: number }[]>(['banned']);
    assert.equal(banned.length, 1000, 'the store holds each ban once');
    const kernelExpiry = new Map([...v4, ...v6].map((e) => [e.addr, e.expires!]));
    for (const b of banned) {
      const expected = (b.expiresAt - Date.now()) / 1000;
      const got = kernelExpiry.get(b.addr)!;
      assert.ok(Math.abs(got - expected) < 10, `${b.addr}: kernel ${got}s vs store ${expected.toFixed(0)}s`);
      assert.ok(got <= 3600 && got > 3600 - (Date.now() - before) / 1000 - 120, `${b.addr}: ${got}s left of a 1 h ban`);
    }
  } finally {
    await h.destroy();
  }
});
