import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { DaemonHarness, jailSection } from './support/daemon-harness.js';
import { waitFor } from './support/netns.js';
import { Receiver } from './support/http-peer.js';
import { signBody } from '../src/actions/reporters/webhook.js';

const PORT = 18080;
const hook = (extra = '') => `webhook[url="http://127.0.0.1:${PORT}/hook", secret="s3cr3t"${extra}]`;

test('a ban goes to the kernel first, then to a webhook (signed) and a command action; status shows each action', async () => {
  const d = new DaemonHarness('act', jailSection('web', '/tmp/none', {}), {});
  let recv: Receiver | null = null;
  try {
    const log = d.path('web.log');
    const out = d.path('cmd.out');
    d.config.write('jail.local', jailSection('web', log, { action: `${hook()}\n  mine`, port: '80' }));
    d.config.write('action.d/mine.conf', `[Definition]\nactionban = echo "ban <ip> <failures> <name>" >> ${out}\nactionunban = echo "unban <ip>" >> ${out}\n`);
    d.touch(log);
    // A slow peer: the ban must not wait for it.
    recv = await Receiver.start(d.ns, PORT, ['--delay', '3000']);
    await d.start();
    d.append(log, ['FAIL login from 192.0.2.44']);
    assert.ok(await waitFor(() => recv!.got.length > 0, 20_000), 'webhook received');
    assert.ok(d.logs.some((l) => l.msg === '[web] Ban 192.0.2.44'), 'the Ban line came before the report reached the peer');
    assert.ok(d.elements('web').some((e) => e.addr === '192.0.2.44'), 'the kernel has the ban while the report is still pending');
    const req = recv.got[0]!;
    assert.equal(req.headers['x-f2b-fw-signature'], signBody('s3cr3t', req.body));
    const body = JSON.parse(req.body) as { event: string; ip: string; jail: string; matches: string[] };
    assert.deepEqual([body.event, body.ip, body.jail, body.matches], ['ban', '192.0.2.44', 'web', ['FAIL login from 192.0.2.44']]);
    assert.ok(await waitFor(() => existsSync(out) && readFileSync(out, 'utf8').includes('ban 192.0.2.44 1 web'), 10_000), 'command action ran');
    await d.cli(['unban', 'web', '192.0.2.44']);
    assert.ok(await waitFor(() => readFileSync(out, 'utf8').includes('unban 192.0.2.44'), 10_000), 'unban after ban');
    const sent2 = await waitFor(async () => /Action webhook:\s+sent 2/.test((await d.cli(['status', 'web'])).stdout), 15_000);
    assert.ok(sent2, `status counts the webhook deliveries: ${(await d.cli(['status', 'web'])).stdout}`);
    const status = (await d.cli(['status', 'web'])).stdout;
    assert.match(status, /Action mine:\s+sent 2, failed 0, dropped 0, queued 0/);
  } finally {
    await recv?.stop();
    await d.destroy();
  }
});

test('report server down, then kill -9: after the restart with the server up, every report arrives exactly once', async () => {
  const d = new DaemonHarness('actk', jailSection('web', '/tmp/none'), {});
  let recv: Receiver | null = null;
  try {
    const log = d.path('web.log');
    d.config.write('jail.local', jailSection('web', log, { action: hook(), bantime: '1h' }));
    d.touch(log);
    await d.start();
    const addrs = Array.from({ length: 20 }, (_, i) => `198.51.100.${i + 1}`);
    d.append(log, addrs.map((a) => `FAIL login from ${a}`));
    assert.ok(await waitFor(() => d.logs.filter((l) => /^\[web\] Ban /.test(l.msg)).length === 20, 20_000), '20 bans');
    assert.ok(await waitFor(() => d.logs.some((l) => /action webhook for .* failed \(request failed/.test(l.msg)), 20_000), 'a failed report is logged with action and address');
    await d.signal('SIGKILL');
    recv = await Receiver.start(d.ns, PORT);
    await d.start();
    assert.ok(await waitFor(() => new Set(recv!.got.map((g) => (JSON.parse(g.body) as { ip: string }).ip)).size === 20, 60_000), 'all 20 delivered after the restart');
    assert.ok(await waitFor(async () => /queued 0/.test((await d.cli(['status', 'web'])).stdout), 15_000));
    assert.equal(recv.got.length, 20, 'none twice');
  } finally {
    await recv?.stop();
    await d.destroy();
  }
});

test('report server down, then back: the daemon retries on its own (retrydelay/retrymax) and delivers the report once', async () => {
  const d = new DaemonHarness('actd', jailSection('web', '/tmp/none'), {});
  let recv: Receiver | null = null;
  try {
    const log = d.path('web.log');
    d.config.write('jail.local', jailSection('web', log, { action: hook(', retrydelay=1s, retrymax=2s'), bantime: '1h' }));
    d.touch(log);
    await d.start();
    d.append(log, ['FAIL login from 203.0.113.80']);
    const failures = () => d.logs.filter((l) => /action webhook for 203\.0\.113\.80 failed \(request failed/.test(l.msg)).length;
    // Down for three attempts, seen through the daemon's own log lines.
    assert.ok(await waitFor(() => failures() >= 3, 30_000), `three failed attempts while the peer is down (${failures()})`);
    assert.ok(d.elements('web').some((e) => e.addr === '203.0.113.80'), 'banned in the kernel all along');
    recv = await Receiver.start(d.ns, PORT);
    assert.ok(await waitFor(() => recv!.got.length > 0, 20_000), 'delivered once the peer is back');
    assert.ok(await waitFor(async () => /Action webhook:\s+sent 1, failed (?:[3-9]|\d{2,}), dropped 0, queued 0/.test((await d.cli(['status', 'web'])).stdout), 15_000),
      (await d.cli(['status', 'web'])).stdout);
    assert.equal(recv.got.length, 1, 'delivered exactly once');
    assert.equal((JSON.parse(recv.got[0]!.body) as { ip: string }).ip, '203.0.113.80');
  } finally {
    await recv?.stop();
    await d.destroy();
  }
});
