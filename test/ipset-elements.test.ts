/**
 * ipset elements over netlink (real kernel, in a namespace): ban, refresh,
 * replace of a shorter timeout, permanent bans, kernel expiry, batching,
 * reconcile against the store, and taking over a set with other parameters.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Netns, sh, waitFor } from './support/netns.js';
import { IpsetAgent } from './support/ipset-agent.js';
import { ipsetNames } from './support/iptables-ns.js';
import type { FirewallLayout } from '../src/fw/layout.js';
import type { Plan } from '../src/fw/plan.js';
import type { Ban } from '../src/core/records.js';

const LONG = 'a-very-long-jail-name-for-nginx-botsearch';
const LAYOUT: FirewallLayout = {
  priority: -10,
  jails: [
    { name: 'sshd', ports: [{ from: 22, to: 22 }], protocols: ['tcp'], hooks: ['input'], verdict: 'drop', maxelem: 1048576 },
    { name: LONG, ports: 'all', protocols: [], hooks: ['input', 'forward'], verdict: 'drop', maxelem: 1048576 },
  ],
};

let ns: Netns;
/** The IPv6 hash:ip set of the long-named jail. */
let LONG_SET: string;
let agent: IpsetAgent;
const ban = (addr: string, ttl: number | null, jail = 'sshd'): Ban => ({ jail, addr, expiresAt: ttl === null ? null : Date.now() + ttl * 1000 });
const listed = async (jail = 'sshd'): Promise<Map<string, number | null>> =>
  new Map((await agent.call<Ban[]>('list', { jail })).map((b) => [b.addr, b.expiresAt === null ? null : Math.round((b.expiresAt - Date.now()) / 1000)]));
/** Seconds left on an element as `ipset list` prints it (-1 when absent). */
const kernelTimeout = (set: string, addr: string): number => {
  const m = new RegExp(`^${addr.replace(/[.:/]/g, '\\$&')} timeout (\\d+)$`, 'm').exec(ns.run('ipset', ['list', set]));
  return m ? Number(m[1]) : -1;
};

before(async () => {
  ns = Netns.create('ipel');
  // What fail2ban's iptables-ipset action leaves: same name, ipset's default maxelem, no timeout support.
  ns.run('ipset', ['create', 'f2b-sshd', 'hash:ip', 'maxelem', '65536']);
  agent = IpsetAgent.start(ns, 'nft');
});
after(async () => {
  await agent?.stop();
  ns?.destroy();
});

test('reconcile replaces a set with other parameters and creates the rest with maxelem and timeouts', async () => {
  const plan = await agent.call<Plan>('reconcile', { layout: LAYOUT, bans: [] });
  const replaced = plan.changes.find((c) => c.kind === 'ipset' && c.object === 'f2b-sshd');
  assert.equal(replaced?.action, 'replace');
  assert.match(replaced!.reason, /without timeout maxelem 65536/);
  const names = ipsetNames(ns);
  assert.equal(names.length, 8);
  for (const n of names) assert.ok(n.length <= 31, n);
  assert.ok(names.some((n) => /^f2b-a-very-long-jail-[0-9a-f]{6}-n6$/.test(n)), names.join());
  for (const n of names) assert.match(ns.run('ipset', ['list', '-t', n]), /maxelem 1048576 timeout 0/);
  LONG_SET = names.find((n) => n.startsWith('f2b-a-very') && n.endsWith('-6'))!;
});

test('a re-ban refreshes the timeout, also to a shorter one; a permanent ban has timeout 0', async () => {
  await agent.call('ban', { bans: [ban('192.0.2.10', 600)] });
  assert.ok(Math.abs(kernelTimeout('f2b-sshd', '192.0.2.10') - 600) <= 2);
  await agent.call('ban', { bans: [ban('192.0.2.10', 5000)] });
  assert.ok(Math.abs(kernelTimeout('f2b-sshd', '192.0.2.10') - 5000) <= 2);
  await agent.call('ban', { bans: [ban('192.0.2.10', 100)] });
  assert.ok(Math.abs(kernelTimeout('f2b-sshd', '192.0.2.10') - 100) <= 2);
  await agent.call('ban', { bans: [ban('2001:db8::10', null), ban('::ffff:192.0.2.11', 300)] });
  const now = await listed();
  assert.equal(now.get('2001:db8::10'), null);
  assert.ok(Math.abs(now.get('192.0.2.11')! - 300) <= 2, 'IPv4-mapped IPv6 goes to the IPv4 set');
  assert.equal(kernelTimeout('f2b-sshd-6', '2001:db8::10'), 0);
});

test('the kernel expires a ban by itself; an already expired ban is not added', async () => {
  await agent.call('ban', { bans: [ban('192.0.2.20', 1), ban('192.0.2.21', -5)] });
  assert.ok((await listed()).has('192.0.2.20'));
  assert.equal((await listed()).has('192.0.2.21'), false);
  assert.ok(await waitFor(async () => !(await listed()).has('192.0.2.20'), 6000, 200), 'gone after its timeout');
});

test('unban of an address that is not banned (or of a jail without sets) is no error; a bad address is left out, the others banned', async () => {
  await agent.call('unban', { keys: [{ jail: 'sshd', addr: '198.51.100.77' }, { jail: 'sshd', addr: '2001:db8::77/64' }] });
  const before = await listed();
  // One bad ban never fails the others of its call: it is left out.
  await agent.call('ban', { bans: [ban('192.0.2.30', 60), ban('192.0.2.300', 60)] });
  const after = await listed();
  assert.ok(after.has('192.0.2.30') && !after.has('192.0.2.300'));
  await agent.call('unban', { keys: [{ jail: 'sshd', addr: '192.0.2.30' }] });
  assert.deepEqual(await listed(), before);
  await assert.rejects(agent.call('ban', { bans: [ban('192.0.2.30', 60, 'nosuchjail')] }), /the set does not exist/);
  await agent.call('unban', { keys: [{ jail: 'nosuchjail', addr: '192.0.2.30' }] });
  await agent.call('unbanAll', { jail: 'nosuchjail' });
});

test('one call bans 5,750 addresses of both families (batched over one socket)', async () => {
  const bans: Ban[] = [];
  for (const net of ['192.0.2', '198.51.100', '203.0.113']) for (let i = 1; i <= 250; i++) bans.push(ban(`${net}.${i}`, 600, LONG));
  for (let i = 0; i < 5000; i++) bans.push(ban(`2001:db8:1::${i.toString(16)}`, 600, LONG));
  await agent.call('ban', { bans });
  const l = await listed(LONG);
  assert.equal(l.size, 750 + 5000);
  await agent.call('unbanAll', { jail: LONG });
  assert.equal((await listed(LONG)).size, 0);
});

test('in a batch of 2,000 element changes over several sendmsg() calls, exactly the refused ones are reported', async () => {
  const ops = Array.from({ length: 2000 }, (_, i) => ({ op: 'add', set: LONG_SET, element: { addr: `2001:db8:7::${i.toString(16)}`, timeout: 600 } }));
  ops[777] = { op: 'add', set: LONG_SET, element: { addr: '192.0.2.77', timeout: 600 } };
  ops[1500] = { op: 'add', set: 'f2b-nosuch', element: { addr: '2001:db8:7::1', timeout: 600 } };
  const failures = await agent.call<{ op: { element: { addr: string } }; errno: number; message: string }[]>('sessionApply', { ops });
  assert.deepEqual(failures.map((f) => [f.op.element.addr, f.errno]), [['192.0.2.77', 4097], ['2001:db8:7::1', 2]]);
  assert.equal((await listed(LONG)).size, 1998);
  await agent.call('unbanAll', { jail: LONG });
});

test('reconcile adds what the store has, refreshes differing timeouts, removes the rest, then has nothing to do', async () => {
  await agent.call('unbanAll', { jail: 'sshd' });
  await agent.call('ban', { bans: [ban('192.0.2.40', 60), ban('192.0.2.41', 60), ban('203.0.113.0/24', 60)] });
  const store = [ban('192.0.2.40', 60), ban('192.0.2.41', 3600), ban('192.0.2.42', 60), ban('2001:db8:5::/48', null)];
  const plan = await agent.call<Plan>('reconcile', { layout: LAYOUT, bans: store });
  const byObject = new Map(plan.changes.filter((c) => c.kind === 'element').map((c) => [c.object, `${c.action}: ${c.reason}`]));
  assert.deepEqual(Object.fromEntries(byObject), {
    'f2b-sshd 192.0.2.41': 'refresh: timeout differs from the store',
    'f2b-sshd 192.0.2.42': 'add: missing',
    'f2b-sshd-n6 2001:db8:5::/48': 'add: missing',
    'f2b-sshd-n 203.0.113.0/24': 'remove: not in the store',
  });
  const again = await agent.call<Plan>('reconcile', { layout: LAYOUT, bans: store });
  assert.deepEqual(again.changes, []);
});

test('a fresh driver lists the bans the kernel holds (for the reconcile command without a store)', async () => {
  const second = IpsetAgent.start(ns, 'nft');
  try {
    const all = await second.call<Ban[]>('list');
    assert.deepEqual(all.map((b) => `${b.jail} ${b.addr}`).sort(), ['sshd 192.0.2.40', 'sshd 192.0.2.41', 'sshd 192.0.2.42', 'sshd 2001:db8:5::/48']);
  } finally {
    await second.stop();
  }
});

test('the host has no ipset', () => {
  assert.equal(sh('ipset', ['list', '-n']), '');
});

test('a maxelem change swaps in a set that was filled before the swap (ipset swap): the bans are there at once', async () => {
  const bans = [ban('192.0.2.50', 600), ban('198.51.100.0/24', 600)];
  await agent.call<Plan>('reconcile', { layout: LAYOUT, bans });
  const smaller: FirewallLayout = { ...LAYOUT, jails: LAYOUT.jails.map((j) => (j.name === 'sshd' ? { ...j, maxelem: 4096 } : j)) };
  const plan = await agent.call<Plan>('reconcile', { layout: smaller, bans });
  assert.deepEqual(plan.changes.filter((c) => c.kind === 'ipset').map((c) => `${c.action} ${c.object}`).sort(),
    ['replace f2b-sshd', 'replace f2b-sshd-6', 'replace f2b-sshd-n', 'replace f2b-sshd-n6']);
  assert.match(ns.run('ipset', ['list', '-t', 'f2b-sshd']), /maxelem 4096 timeout 0/);
  assert.ok(kernelTimeout('f2b-sshd', '192.0.2.50') > 590, 'the swapped-in set holds the ban');
  assert.ok(kernelTimeout('f2b-sshd-n', '198.51.100.0/24') > 590);
  assert.ok(!ipsetNames(ns).some((n) => n.includes('swap')), 'no temporary set is left');
  const again = await agent.call<Plan>('reconcile', { layout: smaller, bans });
  assert.deepEqual(again.changes, [], 'in sync afterwards');
});
