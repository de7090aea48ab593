import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Netns, hostFirewallSnapshot } from './support/netns.js';

const hostBefore = hostFirewallSnapshot();
after(() => assert.equal(hostFirewallSnapshot(), hostBefore, 'the host firewall is untouched'));
const CHILD = fileURLToPath(new URL('./support/poison-child.js', import.meta.url));

interface Outcome {
  readonly error?: string;
  readonly afterBan: { addr: string; years: number | null }[];
  readonly firstReconcile: number;
  readonly secondReconcile: string[];
}

function run(backend: string): Outcome {
  const ns = Netns.create(`poison-${backend.slice(0, 4)}`);
  try {
    const r = spawnSync('ip', ['netns', 'exec', ns.name, 'node', CHILD, backend], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout.trim().split('\n').pop()!) as Outcome;
  } finally {
    ns.destroy();
  }
}

test('nftables: a bantime of 10^20 s, a NaN expiry and a non-address never fail the batch nor poison reconcile', () => {
  const o = run('nftables');
  assert.equal(o.error, undefined);
  const held = new Map(o.afterBan.map((b) => [b.addr, b.years]));
  assert.deepEqual([...held.keys()].sort(), ['198.51.100.0/24', '2001:db8::2', '203.0.113.1', '203.0.113.2']);
  // Capped at the kernel's limit (NFT_MAX_TIMEOUT_MS, ~584 years): in effect permanent.
  assert.equal(held.get('203.0.113.2'), 585);
  assert.equal(held.get('2001:db8::2'), 585);
  assert.equal(held.get('203.0.113.1'), 0);
  assert.deepEqual(o.secondReconcile, [], 'in sync: the capped bans are not refreshed on every reconcile');
});

test('ipset: the same values never fail the batch nor poison reconcile (timeouts capped at 2,147,483 s)', () => {
  const o = run('ipset');
  assert.equal(o.error, undefined);
  const held = new Map(o.afterBan.map((b) => [b.addr, b.years]));
  assert.deepEqual([...held.keys()].sort(), ['198.51.100.0/24', '2001:db8::2', '203.0.113.1', '203.0.113.2']);
  assert.deepEqual(o.secondReconcile, []);
});
