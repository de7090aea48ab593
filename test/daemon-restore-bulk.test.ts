/**
 * A restart with 10,000 bans in the store, against a real daemon on nftables
 * in a namespace of its own: every ban in force comes back into the kernel
 * with the time it has left (not the jail's bantime), permanent ones without
 * a timeout, expired and prefix-split ones as the store says, and the restore
 * line counts them.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { DaemonHarness, jailSection } from './support/daemon-harness.js';
import { hostFirewallSnapshot } from './support/netns.js';
import { BanStore, type NewBan } from '../src/bans/store.js';

const hostBefore = hostFirewallSnapshot();
after(() => assert.equal(hostFirewallSnapshot(), hostBefore, 'the host firewall is untouched'));

const COUNT = 10_000;
/** Every PERMANENT-th ban has no expiry; every EXPIRED-th has run out. */
const PERMANENT = 97;
const EXPIRED = 89;

/** Elements of a set with their remaining seconds (nft's JSON; a big set needs more than spawnSync's default buffer). */
function elements(h: DaemonHarness, set: string): Map<string, number | null> {
  const r = spawnSync('ip', ['netns', 'exec', h.ns.name, 'nft', '-j', 'list', 'set', 'inet', 'f2b-fw', set], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  assert.equal(r.status, 0, r.stderr);
  const doc = JSON.parse(r.stdout) as { nftables: { set?: { elem?: unknown[] } }[] };
  const out = new Map<string, number | null>();
  for (const e of doc.nftables.find((o) => o.set)?.set?.elem ?? []) {
    const el = (typeof e === 'object' && e !== null && 'elem' in e ? (e as { elem: { val: unknown; expires?: number } }).elem : { val: e }) as { val: unknown; expires?: number };
    const v = el.val as string | { prefix: { addr: string; len: number } } | { range: string[] };
    const text = typeof v === 'string' ? v : 'prefix' in v ? `${v.prefix.addr}/${v.prefix.len}` : v.range.join('-');
    out.set(text, el.expires ?? null);
  }
  return out;
}

test(`a restart restores ${COUNT.toLocaleString('en-US')} bans with their remaining times; permanent ones stay permanent, expired ones stay out`, async () => {
  const h = new DaemonHarness('restore-bulk', '');
  try {
    const log = h.path('r.log');
    h.touch(log);
    h.config.write('jail.local', jailSection('rb', log, { bantime: '1h' }));
    const now = Date.now();
    // Addresses in canonical text (as nft lists them). Remaining times spread from 10 min to ~27 h, none of them the jail's bantime.
    const left = (i: number): number | null => (i % PERMANENT === 0 ? null : i % EXPIRED === 0 ? -60 : 600 + i * 10);
    const bans: NewBan[] = Array.from({ length: COUNT }, (_, i) => {
      const l = left(i);
      return { jail: 'rb', addr: `2001:db8:a${(i >> 12).toString(16)}:${((i & 0xfff) | 0x1000).toString(16)}::1`, bannedAt: now - 1000, expiresAt: l === null ? null : now + l * 1000, reason: 'test', matches: [] };
    });
    // A prefix split around an ignored address and a plain IPv4 ban, in their own sets.
    bans.push({ jail: 'rb', addr: '198.51.100.0/24', bannedAt: now, expiresAt: now + 7200_000, reason: 'test', matches: [], except: ['198.51.100.7/32'] });
    bans.push({ jail: 'rb', addr: '192.0.2.9', bannedAt: now, expiresAt: now + 5400_000, reason: 'test', matches: [] });
    const store = BanStore.open(h.db);
    store.addBans(bans);
    store.close();

    await h.start([], 60_000);
    const inForce = COUNT - [...Array(COUNT).keys()].filter((i) => left(i) === -60).length;
    const restore = h.events('restore')[0]!;
    assert.equal(restore.restored, inForce + 2, 'the restore line counts the bans in force');
    assert.equal(typeof restore.cpuMs, 'number', 'and the CPU time the process spent until then');

    const v6 = elements(h, 'rb-v6');
    assert.equal(v6.size, inForce, 'every ban in force is in the kernel, no expired one');
    const elapsed = (Date.now() - now) / 1000;
    for (const [i, b] of bans.slice(0, COUNT).entries()) {
      const l = left(i);
      const got = v6.get(b.addr);
      if (l === -60) {
        assert.equal(v6.has(b.addr), false, `${b.addr} expired and stays out`);
      } else if (l === null) {
        assert.equal(got, null, `${b.addr} is permanent: no timeout`);
      } else {
        assert.ok(got !== undefined && got !== null && got <= l && got >= l - elapsed - 2, `${b.addr}: ${got}s left in the kernel, the store says ${l}s minus ${elapsed.toFixed(1)}s`);
      }
    }
    const v4 = elements(h, 'rb-v4');
    // A /32 piece of the split prefix is a single address: it sits in the address set too; the ignored one nowhere.
    assert.equal(v4.has('198.51.100.7'), false, 'the ignored address inside the prefix is left out');
    assert.ok(v4.get('192.0.2.9')! <= 5400 && v4.get('192.0.2.9')! > 5400 - elapsed - 2);
    const nets = [...elements(h, 'rb-v4-net').keys()];
    assert.ok(nets.length > 1 && !nets.includes('198.51.100.0/24'), `the prefix is split around the ignored address: ${nets.join(', ')}`);

    // Again with the kernel already holding them: nothing to change.
    assert.equal(await h.signal('SIGTERM'), 0);
    await h.start([], 60_000);
    assert.equal(h.events('restore')[0]!.changes, 0, 'a restart over a kernel that holds the bans changes nothing');
    assert.equal(elements(h, 'rb-v6').size, inForce);
  } finally {
    await h.destroy();
  }
});
