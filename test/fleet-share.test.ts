/**
 * `share` and `accept` with a real Redis and real daemons: A publishes only
 * its sshd bans, B applies only web bans from others, C shares and accepts
 * everything. Stream order is used as the proof that an entry was skipped:
 * once a later entry has arrived, the earlier one was read and left alone.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { DaemonHarness, jailSection, type LogEntry } from './support/daemon-harness.js';
import { hostFirewallSnapshot, waitFor } from './support/netns.js';
import { RedisNode, memberConf } from './support/fleet-lab.js';
import type { DaemonStatus } from '../src/daemon/api.js';

const hostBefore = hostFirewallSnapshot();
const redis = new RedisNode([]);
const members: DaemonHarness[] = [];

function member(label: string, node: string, fleet: Record<string, string>, jails = ['sshd', 'web'], daemon = ''): DaemonHarness {
  const h = new DaemonHarness(label, '');
  members.push(h);
  h.touch(h.path('auth.log'));
  h.config.write('jail.local', jails.map((j) => jailSection(j, h.path('auth.log'))).join(''));
  h.config.write('f2b-fw.conf', daemon + memberConf(node, fleet));
  redis.attach(h);
  return h;
}

const A = member('fsa', 'a', { share: 'sshd' });
const B = member('fsb', 'b', { accept: 'web' });
const C = member('fsc', 'c', {});
// D lacks sshd: shared sshd bans land in its built-in `fleet` jail; it empties the kernel when it stops.
const D = member('fsd', 'd', {}, ['web'], '[Definition]\non_stop = flush\n');

const has = (h: DaemonHarness, jail: string, addr: string): boolean => h.elements(jail, 'v4').some((e) => e.addr === addr);
const logged = (h: DaemonHarness, pred: (l: LogEntry) => boolean, ms = 15_000): Promise<boolean> => waitFor(() => h.logs.some(pred), ms, 20);
const published = (h: DaemonHarness): Promise<boolean> =>
  waitFor(async () => (await h.cliJson<DaemonStatus>(['status'])).fleet!.queued === 0, 30_000, 50);

before(async () => {
  await redis.start();
  await Promise.all([A.start(), B.start(), C.start(), D.start()]);
});

after(async () => {
  for (const h of members) await h.destroy();
  await redis.destroy();
  assert.equal(hostFirewallSnapshot(), hostBefore, 'the host firewall is untouched');
});

test('share = sshd: A publishes its sshd bans and keeps its web bans to itself', async () => {
  assert.equal((await A.cli(['ban', 'web', '203.0.113.21'])).status, 0);
  assert.equal((await A.cli(['ban', 'sshd', '203.0.113.22'])).status, 0);
  assert.ok(await logged(C, (l) => l.msg === '[sshd] Ban 203.0.113.22 (fleet: a)'), 'the shared jail reaches C');
  assert.ok(await published(A));
  assert.equal(redis.cli(['EXISTS', 'f2b-fw:ban:web:203.0.113.21']).trim(), '0', 'no key for the unshared ban');
  assert.ok(!has(C, 'web', '203.0.113.21') && !C.logs.some((l) => l.msg?.includes('203.0.113.21')), 'C never hears of the web ban');
  assert.ok(has(A, 'web', '203.0.113.21'), 'A itself has it');
});

test('accept = web: B applies web bans from others and skips the rest', async () => {
  assert.equal((await C.cli(['ban', 'web', '203.0.113.23'])).status, 0);
  assert.equal((await C.cli(['ban', 'sshd', '203.0.113.24'])).status, 0);
  assert.ok(await published(C), 'C published both');
  // Enqueued after both were in the stream: when B has it, B has read past 203.0.113.24.
  assert.equal((await C.cli(['ban', 'web', '203.0.113.25'])).status, 0);
  assert.ok(await logged(B, (l) => l.msg === '[web] Ban 203.0.113.25 (fleet: c)'));
  assert.ok(has(B, 'web', '203.0.113.23') && has(B, 'web', '203.0.113.25'), 'accepted jail applied');
  assert.ok(!has(B, 'sshd', '203.0.113.24') && !B.logs.some((l) => l.msg?.includes('203.0.113.24')), 'the sshd ban is not applied on B, in any jail');
  assert.ok(!has(B, 'sshd', '203.0.113.22'), "A's shared sshd ban is not applied on B either");
  assert.ok(has(A, 'sshd', '203.0.113.24'), 'A (accepting all) applied it');
});

test('the built-in fleet jail keeps its bans through a reload, and on_stop = flush empties it', async () => {
  assert.ok(await logged(D, (l) => l.msg === '[fleet] Ban 203.0.113.22 (fleet: a)'), 'a shared sshd ban lands in D\'s fleet jail');
  assert.ok(has(D, 'fleet', '203.0.113.22'));
  const r = await D.cli(['reload']);
  assert.equal(r.status, 0, r.stderr);
  assert.ok(has(D, 'fleet', '203.0.113.22'), 'still in the kernel after the reload');
  assert.equal((await A.cli(['ban', 'sshd', '203.0.113.26'])).status, 0);
  assert.ok(await logged(D, (l) => l.msg === '[fleet] Ban 203.0.113.26 (fleet: a)'), 'and the reloaded daemon still receives');
  assert.equal(await D.signal('SIGTERM'), 0);
  assert.deepEqual(D.elements('fleet', 'v4'), [], 'on_stop = flush emptied the fleet jail\'s set');
});
