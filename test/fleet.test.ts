/**
 * The fleet with a real Redis and real namespaces: redis-server in one
 * namespace, daemons A, B, C (and D with a wrong password) in others, joined
 * by a bridge. Each step builds on the state the one before left.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { DaemonHarness, jailSection, type LogEntry } from './support/daemon-harness.js';
import { hostFirewallSnapshot, waitFor } from './support/netns.js';
import { RedisNode, memberConf } from './support/fleet-lab.js';
import type { DaemonStatus } from '../src/daemon/api.js';

const hostBefore = hostFirewallSnapshot();
const redis = new RedisNode(['stream-node-max-entries 10']);
const members: DaemonHarness[] = [];
const fleet = { stream_maxlen: '1500' };

function member(label: string, node: string, jails: (h: DaemonHarness) => string, conf: Record<string, string> = fleet): DaemonHarness {
  const h = new DaemonHarness(label, '');
  members.push(h);
  h.touch(h.path('auth.log'));
  h.config.write('jail.local', jails(h));
  h.config.write('f2b-fw.conf', memberConf(node, conf));
  redis.attach(h);
  return h;
}

// A and B run sshd (B ignores 198.51.100.77); C has only `web`, so shared sshd bans land in its built-in fleet jail.
const A = member('fa', 'a', (h) => jailSection('sshd', h.path('auth.log')));
const B = member('fb', 'b', (h) => jailSection('sshd', h.path('auth.log'), { ignoreip: '198.51.100.77' }));
const C = member('fc', 'c', (h) => jailSection('web', h.path('auth.log')));

const has = (h: DaemonHarness, jail: string, addr: string, set = 'v4'): boolean => h.elements(jail, set).some((e) => e.addr === addr);
const logged = (h: DaemonHarness, pred: (l: LogEntry) => boolean, ms = 15_000): Promise<boolean> => waitFor(() => h.logs.some(pred), ms, 20);
const fleetStatus = async (h: DaemonHarness): Promise<NonNullable<DaemonStatus['fleet']>> => (await h.cliJson<DaemonStatus>(['status'])).fleet!;
const v6 = (block: number, n: number): string => `2001:db8:${block}::${(n + 1).toString(16)}`;

before(async () => {
  await redis.start();
  await Promise.all([A.start(), B.start(), C.start()]);
});

after(async () => {
  for (const h of members) await h.destroy();
  await redis.destroy();
  assert.equal(hostFirewallSnapshot(), hostBefore, 'the host firewall is untouched');
});

test('a ban on A, from its log and from `f2b-fw ban`, reaches B\'s and C\'s kernels with its origin', async () => {
  A.append(A.path('auth.log'), ['FAIL login from 203.0.113.5']);
  assert.ok(await logged(B, (l) => l.msg === '[sshd] Ban 203.0.113.5 (fleet: a)'), 'B logs the shared ban with its origin');
  assert.ok(await logged(C, (l) => l.msg === '[fleet] Ban 203.0.113.5 (fleet: a)'), 'C bans it in the built-in fleet jail');
  assert.ok(has(B, 'sshd', '203.0.113.5') && has(C, 'fleet', '203.0.113.5'));
  assert.ok(has(A, 'sshd', '203.0.113.5'));

  const r = await A.cli(['ban', 'sshd', '203.0.113.6']);
  assert.equal(r.status, 0, r.stderr);
  assert.ok(await logged(B, (l) => l.msg === '[sshd] Ban 203.0.113.6 (fleet: a)'));
  assert.ok(await logged(C, (l) => l.msg === '[fleet] Ban 203.0.113.6 (fleet: a)'));
  assert.ok(has(B, 'sshd', '203.0.113.6') && has(C, 'fleet', '203.0.113.6'));

  const banned = await B.cli(['banned']);
  assert.match(banned.stdout, /^sshd +203\.0\.113\.5 +fleet:a /m, 'banned shows the origin');
  const status = await A.cli(['status']);
  assert.match(status.stdout, /Fleet\n.*Redis:\tredis:\/\/f2b:\*\*\*@192\.0\.2\.1:6379 as a\n.*Connected:\tyes\n/);
  assert.ok(!status.stdout.includes('lab-secret'), 'status never shows the password');
  const fa = await fleetStatus(A);
  assert.ok(fa.sent >= 2 && fa.connected, JSON.stringify(fa));
  assert.equal(A.logs.filter((l) => l.event === 'ban' && l.origin !== undefined).length, 0, 'A never applies its own entries again (no echo)');
  const pttl = Number(redis.cli(['PTTL', 'f2b-fw:ban:sshd:203.0.113.5']).trim());
  assert.ok(pttl > 500_000 && pttl <= 600_000, `the key expires with the ban (PTTL ${pttl})`);
});

test('B away for 1,000 bans reads them from the stream on return, each once', async () => {
  assert.equal(await B.signal('SIGTERM'), 0);
  const addrs = Array.from({ length: 1000 }, (_, i) => v6(1, i));
  const r = await A.cli(['ban', 'sshd', ...addrs]);
  assert.equal(r.status, 0, r.stderr);
  assert.ok(await waitFor(async () => (await fleetStatus(A)).queued === 0, 60_000, 100), 'A published them all');
  await B.start();
  const ours = (l: LogEntry): boolean => typeof l.addr === 'string' && l.addr.startsWith('2001:db8:1::');
  const bans = (): LogEntry[] => B.logs.filter((l) => l.event === 'ban' && ours(l));
  assert.ok(await waitFor(() => bans().length >= 1000, 60_000, 100), `B logged ${bans().length} of 1000 bans`);
  assert.equal(B.elements('sshd', 'v6').length, 1000);
  assert.equal(bans().length, 1000, 'each ban applied exactly once');
  assert.equal(B.logs.filter((l) => l.event === 'already-banned' && ours(l)).length, 0, 'none read twice');
  assert.equal(new Set(bans().map((l) => l.addr)).size, 1000);
  assert.equal((await fleetStatus(B)).catchUps, 0, 'read from the stream, not from the keys');
});

test('B away longer than the stream\'s retention catches up from the keys', async () => {
  assert.equal(await B.signal('SIGTERM'), 0);
  const addrs = Array.from({ length: 2000 }, (_, i) => v6(2, i));
  for (let i = 0; i < addrs.length; i += 1000) {
    const r = await A.cli(['ban', 'sshd', ...addrs.slice(i, i + 1000)]);
    assert.equal(r.status, 0, r.stderr);
  }
  assert.ok(await waitFor(async () => (await fleetStatus(A)).queued === 0, 60_000, 100), 'A published them all');
  const len = Number(redis.cli(['XLEN', 'f2b-fw:stream']).trim());
  assert.ok(len < 3000, `the stream was trimmed (${len} entries)`);
  await B.start();
  assert.ok(await waitFor(() => B.elements('sshd', 'v6').length >= 3000, 60_000, 100), `B has ${B.elements('sshd', 'v6').length} of 3000`);
  assert.ok(await logged(B, (l) => l.event === 'fleet' && /read \d+ shared ban key/.test(l.msg)), 'caught up from the keys');
  assert.equal((await fleetStatus(B)).catchUps, 1);
});

test('Redis killed while A bans from its log: A bans at once, B and C receive them when Redis is back', async () => {
  const keysBefore = Number(redis.cli(['DBSIZE']).trim());
  await redis.kill();
  const addrs = Array.from({ length: 10 }, (_, i) => `203.0.113.${20 + i}`);
  A.append(A.path('auth.log'), addrs.map((a) => `FAIL login from ${a}`));
  assert.ok(await waitFor(() => addrs.every((a) => has(A, 'sshd', a)), 5000, 20), 'A\'s kernel has them without Redis');
  assert.ok(await waitFor(async () => !(await fleetStatus(A)).connected, 5000, 50), 'A sees Redis gone');
  const down = await A.cli(['status']);
  assert.match(down.stdout, /Connected:\tno, since /);
  assert.ok(!addrs.some((a) => has(B, 'sshd', a)));
  await redis.start();
  assert.ok(Number(redis.cli(['DBSIZE']).trim()) >= keysBefore, `Redis restarted with its keys:\n${redis.output()}`);
  for (const a of addrs) {
    assert.ok(await logged(B, (l) => l.msg === `[sshd] Ban ${a} (fleet: a)`, 30_000), `B got ${a}`);
    assert.ok(await logged(C, (l) => l.msg === `[fleet] Ban ${a} (fleet: a)`, 30_000), `C got ${a}`);
  }
  assert.ok(addrs.every((a) => has(B, 'sshd', a) && has(C, 'fleet', a)));
});

test('a hostile member: B refuses its ignoreip address, huge prefixes, garbage and a 1 MB field, logs each once, and goes on', async () => {
  const exp = String(Date.now() + 600_000);
  const add = (fields: Record<string, string>, big?: string): string => {
    const flat = Object.entries(fields).flat();
    return redis.cli(['XADD', 'f2b-fw:stream', '*', ...flat, ...(big === undefined ? [] : ['reason'])], big).trim();
  };
  const entry = (addr: string, extra: Record<string, string> = {}): Record<string, string> =>
    ({ op: 'ban', jail: 'sshd', addr, expiresAt: exp, node: 'evil', reason: 'x', id: 'evil/1', ...extra });
  const bad = [
    add(entry('198.51.100.77')),
    add(entry('0.0.0.0/0')),
    add(entry('::/0')),
    add(entry('203.0.0.0/8')),
    add(entry('203.0.113.210', { op: 'explode' })),
    add({ addr: '203.0.113.211' }),
    add(entry('not-an-address')),
    add(entry('203.0.113.212', { jail: '../../etc' })),
    add(entry('203.0.113.213', { expiresAt: 'soon' })),
    add((({ reason: _r, ...rest }) => rest)(entry('203.0.113.214')), 'A'.repeat(1_048_576)),
  ];
  add(entry('203.0.113.201'));
  assert.ok(await logged(B, (l) => l.msg === '[sshd] Ban 203.0.113.201 (fleet: evil)'), 'the good entry after the bad ones is applied');
  const refusals = B.logs.filter((l) => l.event === 'fleet-refused');
  for (const id of bad) assert.equal(refusals.filter((l) => l.where === `stream ${id}`).length, 1, `stream ${id} refused and logged once`);
  for (const a of ['198.51.100.77', '203.0.113.210', '203.0.113.211', '203.0.113.212', '203.0.113.213', '203.0.113.214']) assert.ok(!has(B, 'sshd', a), `${a} not banned`);
  assert.deepEqual(B.elements('sshd', 'v4-net'), []);
  assert.deepEqual(B.elements('sshd', 'v6-net'), []);
  assert.ok((await fleetStatus(B)).refused >= bad.length);
  A.append(A.path('auth.log'), ['FAIL login from 203.0.113.202']);
  assert.ok(await logged(B, (l) => l.msg === '[sshd] Ban 203.0.113.202 (fleet: a)'), 'B keeps applying good entries');
});

test('`f2b-fw unban` on C lifts the shared ban everywhere and deletes its key', async () => {
  assert.equal(redis.cli(['EXISTS', 'f2b-fw:ban:sshd:203.0.113.5']).trim(), '1');
  const r = await C.cli(['unban', '203.0.113.5']);
  assert.equal(r.status, 0, r.stderr);
  assert.ok(!has(C, 'fleet', '203.0.113.5'));
  assert.ok(await waitFor(() => !has(A, 'sshd', '203.0.113.5') && !has(B, 'sshd', '203.0.113.5'), 15_000, 20), 'gone on A and B');
  assert.ok(await waitFor(() => redis.cli(['EXISTS', 'f2b-fw:ban:sshd:203.0.113.5']).trim() === '0', 5000, 20), 'key deleted');
  assert.ok(has(B, 'sshd', '203.0.113.6'), 'other shared bans stay');
});

test('a wrong password: a clear error at start naming the URL without the password, and the host is still protected', async () => {
  const D = member('fd', 'd', (h) => jailSection('sshd', h.path('auth.log')), { url: 'redis://f2b:wrong-pw-x@192.0.2.1:6379' });
  await D.start();
  const err = D.logs.find((l) => l.event === 'fleet' && l.level >= 50);
  assert.ok(err, 'an error is logged at start');
  assert.match(err.msg, /redis:\/\/f2b:\*\*\*@192\.0\.2\.1:6379/);
  assert.match(err.msg, /WRONGPASS/);
  assert.ok(!D.logs.some((l) => JSON.stringify(l).includes('wrong-pw-x')), 'the password is never logged');
  D.append(D.path('auth.log'), ['FAIL login from 203.0.113.77']);
  assert.ok(await waitFor(() => has(D, 'sshd', '203.0.113.77'), 5000, 20), 'local bans work without the fleet');
});
