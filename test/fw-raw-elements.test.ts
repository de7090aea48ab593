/**
 * Set elements written as raw nfnetlink batches (native/nftables/element.ts, sent by batch.ts)
 * and the driver paths that use them: the fast address parser agrees with
 * addrTarget; in a namespace a bad element anywhere aborts the whole batch,
 * timeouts and permanent elements land as asked, and re-bans refresh IPv6
 * timeouts on both probe paths.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { Netns, hostFirewallSnapshot } from './support/netns.js';
import { NftAgent } from './support/nft-agent.js';
import { addrKey, addrTarget, singleAddrKeyInto } from '../src/fw/nft/names.js';
import type { FirewallLayout } from '../src/fw/layout.js';

const CHILD = fileURLToPath(new URL('./support/raw-elements-child.js', import.meta.url));

/** The fast path's key of `a` (singleAddrKeyInto, into a key of its own), or undefined where it leaves `a` to addrTarget. */
function fastKey(a: string): { version: 4 | 6; key: Buffer } | undefined {
  const key = Buffer.alloc(16);
  const version = singleAddrKeyInto(a, key, 0);
  return version === undefined ? undefined : { version, key: version === 4 ? key.subarray(0, 4) : key };
}

test('the fast address parser gives what addrTarget + addrKey give, and leaves everything else to addrTarget', () => {
  const same = ['192.0.2.1', '0.0.0.0', '255.255.255.255', '2001:db8::1', '2001:DB8::0:1', '::', '::1', '2001:db8::', '1:2:3:4:5:6:7::',
    '::2:3:4:5:6:7:8', '2001:0db8:0000:0000:0000:ff00:0042:8329', '2001:db8:0:0:1:0:0:1', 'fe80::abcd:1'];
  for (let i = 0; i < 2000; i++) {
    const g = Array.from({ length: 8 }, () => (Math.random() < 0.4 ? 0 : Math.floor(Math.random() * 0x10000)));
    same.push(g.map((x) => x.toString(16)).join(':'), addrTarget(g.map((x) => x.toString(16)).join(':')).text);
    same.push(Array.from({ length: 4 }, () => Math.floor(Math.random() * 256)).join('.'));
  }
  for (const a of same) {
    const fast = fastKey(a);
    const t = addrTarget(a);
    assert.ok(fast, a);
    assert.equal(fast.version, t.version, a);
    assert.deepEqual(fast.key, addrKey(t), a);
  }
  for (const other of ['::ffff:192.0.2.1', '::ffff:c000:201', '64:ff9b::192.0.2.33', '198.51.100.7/24', '2001:db8::1/128', 'fe80::1%eth0', '1.2.3', '01.2.3.4',
    '1::2::3', '1:2:3:4:5:6:7:8:9', '12345::', '256.1.1.1', ' 1.2.3.4', '192.0.2.1; drop', '', ':', ':::', '1:', ':1', '1:2:3:4:5:6:7:8::', '::1:2:3:4:5:6:7:8', 'g::1']) {
    assert.equal(fastKey(other), undefined, other);
  }
});

const layout: FirewallLayout = {
  priority: -10,
  jails: [{ name: 'sshd', ports: [{ from: 22, to: 22 }], protocols: ['tcp'], hooks: ['input'], verdict: 'drop', maxelem: 1048576 }],
};
let ns: Netns;
let hostBefore: string;

before(() => {
  hostBefore = hostFirewallSnapshot();
  ns = Netns.create('raw');
});

after(() => {
  ns?.destroy();
  assert.equal(hostFirewallSnapshot(), hostBefore, 'host firewall untouched');
});

function scenario(name: string): Record<string, unknown> {
  return JSON.parse(ns.run(process.execPath, [CHILD, name])) as Record<string, unknown>;
}

test('one bad element in the middle of a raw batch aborts all of it, in every set; the error names the set', () => {
  const r = scenario('bad-in-the-middle');
  assert.match(String(r.error), /adding elements .* to set inet f2b-fw raw-v4 failed: EINVAL .*nothing of the batch was applied/);
  assert.equal(r.v4, 0, 'no IPv4 element of the failed batch is in the kernel');
  assert.equal(r.v6, 0, 'nor the IPv6 one after the bad element');
  assert.match(String(r.error2), /raw-v6 failed/);
  assert.equal(r.v4after2, 0, 'valid messages before the failing one are rolled back');
  assert.equal(r.v4good, 3000, 'the same elements without the bad one go in');
});

test('raw elements carry their timeouts; permanent ones have none; IPv4 and IPv6; delete removes', () => {
  const r = scenario('timeouts') as { v4: Record<string, number | null>; v6: Record<string, number | null>; v6deleted: Record<string, number | null> };
  assert.deepEqual(Object.keys(r.v4).sort(), ['198.51.0.1', '198.51.0.2']);
  assert.ok(r.v4['198.51.0.1']! > 590_000 && r.v4['198.51.0.1']! <= 600_000);
  assert.equal(r.v4['198.51.0.2'], null);
  assert.ok(r.v6['2001:db8::1']! > 80_000 && r.v6['2001:db8::1']! <= 90_000);
  assert.equal(r.v6['2001:db8::2'], null);
  assert.deepEqual(Object.keys(r.v6deleted), ['2001:db8::2']);
});

// The probed path is a plain add on kernels that update timeouts (6.10+), add+delete+add on older ones.
for (const refresh of [undefined, 'delete+add'] as const) {
  test(`IPv6 re-bans refresh the timeout longer and shorter; unban of present and absent addresses (${refresh ?? 'as probed'})`, async () => {
    const agent = NftAgent.start(ns, refresh);
    try {
      await agent.reconcile(layout);
      const addrs = ['2001:db8:5::1', '2001:DB8:5:0::2', '198.51.100.9'];
      await agent.ban(addrs.map((addr) => ({ jail: 'sshd', addr, expiresAt: Date.now() + 60_000 })));
      await agent.ban(addrs.map((addr) => ({ jail: 'sshd', addr, expiresAt: Date.now() + 900_000 })));
      let listed = await agent.list('sshd');
      assert.deepEqual(listed.map((b) => b.addr).sort(), ['198.51.100.9', '2001:db8:5::1', '2001:db8:5::2']);
      for (const b of listed) assert.ok(b.expiresAt! > Date.now() + 890_000, `${b.addr} refreshed to the longer ban`);
      await agent.ban([{ jail: 'sshd', addr: '2001:db8:5::1', expiresAt: Date.now() + 30_000 }]);
      listed = await agent.list('sshd');
      assert.ok(listed.find((b) => b.addr === '2001:db8:5::1')!.expiresAt! < Date.now() + 31_000, 'a shorter re-ban replaces the timeout');
      await agent.unban([{ jail: 'sshd', addr: '2001:db8:5::1' }, { jail: 'sshd', addr: '2001:db8:5::77' }, { jail: 'sshd', addr: '198.51.100.9' }]);
      assert.deepEqual((await agent.list('sshd')).map((b) => b.addr), ['2001:db8:5::2']);
      await agent.unbanAll('sshd');
    } finally {
      await agent.stop();
    }
  });
}
