/**
 * Reports while the database is full (issue 10.1's gap for the outbox), on a real daemon in a
 * namespace with its database on a real 2 MB tmpfs and a real webhook peer: bans keep reaching
 * the kernel, their reports are kept in memory while the store is degraded and delivered once it
 * takes writes again — each exactly once.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DaemonHarness, jailSection } from './support/daemon-harness.js';
import { waitFor } from './support/netns.js';
import { Receiver } from './support/http-peer.js';
import { Tmpfs } from './support/tmpfs.js';

const PORT = 18081;
const addr = (i: number): string => `198.51.100.${i}`;

test('disk full: bans reach the kernel, reports wait in memory and are delivered once after space returns', async () => {
  const fs = Tmpfs.mount('2m');
  const d = new DaemonHarness('actdeg', '', {}, fs.path('f2b.sqlite3'));
  let recv: Receiver | null = null;
  try {
    const log = d.path('auth.log');
    d.touch(log);
    d.config.write('jail.local', jailSection('db', log, { bantime: '1h', action: `webhook[url="http://127.0.0.1:${PORT}/hook"]` }));
    recv = await Receiver.start(d.ns, PORT);
    await d.start();
    const ips = (from: number, to: number): string[] => Array.from({ length: to - from + 1 }, (_, i) => addr(from + i));
    const reported = (): string[] => recv!.got.map((g) => (JSON.parse(g.body) as { ip: string }).ip);
    d.append(log, ips(1, 3).map((a) => `FAIL login from ${a}`));
    assert.ok(await waitFor(() => reported().length === 3, 20_000), 'reports before the disk fills');

    fs.fill();
    const later = ips(4, 80);
    d.append(log, later.map((a) => `FAIL login from ${a}`));
    assert.ok(await waitFor(() => later.every((a) => d.elements('db').some((e) => e.addr === a)), 30_000), 'every ban reached the kernel');
    assert.ok(await waitFor(() => d.events('store').some((l) => l.state === 'degraded'), 10_000), 'the store is degraded');
    assert.ok(await waitFor(() => d.logs.some((l) => l.event === 'outbox' && /kept in memory/.test(l.msg)), 10_000), 'the outbox says it holds its work in memory');
    const status = await d.cliJson<{ actions?: { queued: number }[] }>(['status', 'db']);
    assert.ok((status.actions?.[0]?.queued ?? 0) > 0, 'status counts the reports kept in memory');

    fs.drain();
    assert.ok(await waitFor(() => d.events('store').some((l) => l.state === 'ok'), 15_000), 'recovered');
    assert.ok(await waitFor(() => new Set(reported()).size === 80, 30_000), `all 80 reported (${new Set(reported()).size})`);
    assert.ok(await waitFor(async () => (await d.cliJson<{ actions?: { queued: number }[] }>(['status', 'db'])).actions?.[0]?.queued === 0, 10_000));
    assert.equal(reported().length, 80, 'none twice');
    assert.equal(d.logs.filter((l) => l.event === 'outbox' && /refuses writes/.test(l.msg)).length, 1, 'logged once');
    assert.equal(await d.signal('SIGTERM'), 0);
  } finally {
    await recv?.stop();
    await d.destroy();
    fs.unmount();
  }
});
