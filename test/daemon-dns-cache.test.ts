/**
 * The host-name cache behind usedns = yes|warn never makes a line wait: a
 * name not cached starts a background lookup, answers are kept for their TTL
 * (and served while refreshed), slow lookups are cut off and bounded in number.
 * The system resolver is used for real on `localhost` (/etc/hosts); the slow
 * resolver is a lookup function whose answer the test releases.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DnsCache, systemLookup } from '../src/daemon/dns-cache.js';
import { waitFor } from './support/netns.js';

function manualClock(start = 1_000_000): { now(): number; t: number } {
  return { t: start, now() { return this.t; } };
}

/** A lookup whose answers the test releases by hand; records what was asked. */
function heldLookup(): { lookup: (n: string) => Promise<readonly string[]>; asked: string[]; release(name: string, addrs: readonly string[]): void } {
  const waiting = new Map<string, (a: readonly string[]) => void>();
  const asked: string[] = [];
  return {
    asked,
    lookup: (name) => new Promise((resolve) => { asked.push(name); waiting.set(name, resolve); }),
    release: (name, addrs) => waiting.get(name)?.(addrs),
  };
}

test('the system resolver: localhost is unknown at first (lookup started), then answered from the cache', async () => {
  const cache = new DnsCache({ clock: { now: () => Date.now() }, lookup: systemLookup });
  assert.deepEqual(cache.get('localhost'), { state: 'started' });
  assert.deepEqual(cache.get('LocalHost'), { state: 'pending' }, 'names are case-insensitive, one lookup');
  assert.ok(await waitFor(() => cache.get('localhost').state === 'resolved', 2000));
  const a = cache.get('localhost');
  assert.ok(a.state === 'resolved' && a.addrs.some((x) => x === '127.0.0.1' || x === '::1'), JSON.stringify(a));
});

test('a name that does not resolve is remembered as failed for negativeTtlMs, then tried again', async () => {
  const clock = manualClock();
  const failed: string[] = [];
  // Rejects as getaddrinfo does for an unknown name (no query leaves this machine).
  const notFound = async (n: string): Promise<never> => { throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${n}`), { code: 'ENOTFOUND' }); };
  const cache = new DnsCache({ clock, lookup: notFound, tuning: { negativeTtlMs: 60_000 }, onFailed: (n, why) => failed.push(`${n}: ${why}`) });
  assert.equal(cache.get('no-such-host.invalid').state, 'started');
  assert.ok(await waitFor(() => cache.get('no-such-host.invalid').state === 'failed', 5000));
  assert.deepEqual(failed, ['no-such-host.invalid: ENOTFOUND']);
  clock.t += 60_001;
  assert.equal(cache.get('no-such-host.invalid').state, 'started');
});

test('a lookup that hangs is cut off after timeoutMs, and holds its slot until it really ends', async () => {
  const held = heldLookup();
  const failed: string[] = [];
  const cache = new DnsCache({ clock: { now: () => Date.now() }, lookup: held.lookup, tuning: { timeoutMs: 50, maxInFlight: 1 }, onFailed: (n, why) => failed.push(`${n}: ${why}`) });
  assert.equal(cache.get('slow.example').state, 'started');
  assert.equal(cache.get('other.example').state, 'busy', 'one lookup at a time: the next name is not even started');
  assert.ok(await waitFor(() => cache.get('slow.example').state === 'failed', 1000));
  assert.match(failed[0]!, /^slow\.example: no answer within 50 ms$/);
  assert.equal(cache.get('other.example').state, 'busy', 'the timed-out lookup still occupies its thread');
  held.release('slow.example', ['192.0.2.1']);
  assert.ok(await waitFor(() => cache.get('other.example').state === 'started', 1000));
  assert.deepEqual(held.asked, ['slow.example', 'other.example']);
});

test('after ttlMs the old answer is served while a refresh runs; the refresh replaces it', async () => {
  const clock = manualClock();
  const held = heldLookup();
  const cache = new DnsCache({ clock, lookup: held.lookup, tuning: { ttlMs: 1000 } });
  cache.get('host.example');
  held.release('host.example', ['192.0.2.10']);
  assert.ok(await waitFor(() => cache.get('host.example').state === 'resolved', 1000));
  clock.t += 1001;
  assert.deepEqual(cache.get('host.example'), { state: 'resolved', addrs: ['192.0.2.10'] });
  assert.equal(held.asked.length, 2, 'a refresh started');
  held.release('host.example', ['192.0.2.11']);
  assert.ok(await waitFor(() => { const a = cache.get('host.example'); return a.state === 'resolved' && a.addrs[0] === '192.0.2.11'; }, 1000));
});

test('at most maxEntries names are kept; the oldest goes first', async () => {
  const cache = new DnsCache({ clock: manualClock(), lookup: async (n) => [n === 'a.example' ? '192.0.2.1' : '192.0.2.2'], tuning: { maxEntries: 2, maxInFlight: 10 } });
  for (const n of ['a.example', 'b.example', 'c.example']) cache.get(n);
  assert.equal(cache.size, 2);
  assert.ok(await waitFor(() => cache.get('c.example').state === 'resolved', 1000));
  assert.equal(cache.get('a.example').state, 'started', 'a.example was forgotten and is looked up again');
});
