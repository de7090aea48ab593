/**
 * The fleet's publications while the database is full (issue 10.1's gap for the fleet), with a
 * real Redis and a real daemon whose database is on a real 2 MB tmpfs: bans keep reaching the
 * kernel, their publications are kept in memory while the store is degraded (status counts them)
 * and published once it takes writes again — each once (one stream entry per ban).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { DaemonHarness, jailSection } from './support/daemon-harness.js';
import { hostFirewallSnapshot, waitFor } from './support/netns.js';
import { RedisNode, memberConf } from './support/fleet-lab.js';
import { Tmpfs } from './support/tmpfs.js';
import type { DaemonStatus } from '../src/daemon/api.js';

const hostBefore = hostFirewallSnapshot();
after(() => assert.equal(hostFirewallSnapshot(), hostBefore, 'the host firewall is untouched'));

const addr = (i: number): string => `198.51.100.${i}`;

test('disk full: shared bans are kept in memory and published once after space returns', async () => {
  const fs = Tmpfs.mount('2m');
  const redis = new RedisNode([]);
  const h = new DaemonHarness('fdeg', '', {}, fs.path('f2b.sqlite3'));
  try {
    const log = h.path('auth.log');
    h.touch(log);
    h.config.write('jail.local', jailSection('sshd', log, { bantime: '1h' }));
    h.config.write('f2b-fw.conf', memberConf('a'));
    redis.attach(h);
    await redis.start();
    await h.start();
    const queued = async (): Promise<number> => (await h.cliJson<DaemonStatus>(['status'])).fleet!.queued;
    const streamLength = (): number => Number(redis.cli(['XLEN', 'f2b-fw:stream']).trim());
    h.append(log, [1, 2, 3].map((i) => `FAIL login from ${addr(i)}`));
    assert.ok(await waitFor(() => streamLength() === 3, 20_000), 'published before the disk fills');

    fs.fill();
    h.append(log, Array.from({ length: 77 }, (_, i) => `FAIL login from ${addr(i + 4)}`));
    assert.ok(await waitFor(() => h.elements('sshd').length === 80, 30_000), 'every ban reached the kernel');
    assert.ok(await waitFor(() => h.events('store').some((l) => l.state === 'degraded'), 10_000), 'the store is degraded');
    assert.ok(await waitFor(() => h.logs.some((l) => l.event === 'outbox' && /kept in memory/.test(l.msg)), 10_000), 'the outbox holds its work in memory');
    assert.ok(await queued() > 0, 'status counts the publications kept in memory');
    const duringFull = streamLength();

    fs.drain();
    assert.ok(await waitFor(() => h.events('store').some((l) => l.state === 'ok'), 15_000), 'recovered');
    assert.ok(await waitFor(async () => await queued() === 0, 30_000), 'everything published');
    assert.equal(streamLength(), 80, `one stream entry per ban, none twice (${duringFull} while full)`);
    for (const i of [4, 40, 80]) assert.equal(redis.cli(['EXISTS', `f2b-fw:ban:sshd:${addr(i)}`]).trim(), '1', `key of ${addr(i)}`);
    assert.equal(await h.signal('SIGTERM'), 0);
  } finally {
    await h.destroy();
    await redis.destroy();
    fs.unmount();
  }
});
