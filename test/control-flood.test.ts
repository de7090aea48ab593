/**
 * Control socket floods (issue 10.5): a client that pipelines 20,000 requests
 * without reading (against a real daemon, which must keep banning and stay
 * small), and the connection cap with root's reserve answered `busy`.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createConnection, type Socket } from 'node:net';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DaemonHarness, jailSection } from './support/daemon-harness.js';
import { hostFirewallSnapshot, waitFor } from './support/netns.js';
import { runCli } from './support/cli-run.js';
import { ControlServer } from '../src/control/server.js';
import { ControlClient } from '../src/control/client.js';
import { peerUid } from '../src/control/peer.js';
import { apiHandler } from '../src/control/dispatch.js';
import { startInProcess } from './support/inproc-daemon.js';

const hostBefore = hostFirewallSnapshot();
after(() => assert.equal(hostFirewallSnapshot(), hostBefore, 'the host firewall is untouched'));

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m![1]) / 1024;
}

/** Connects and writes `n` pipelined `banned` requests without ever reading. */
function pipeliner(path: string, n: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = createConnection(path, () => {
      s.pause();
      const lines = [...Array(n).keys()].map((i) => `{"v":1,"id":${i + 1},"cmd":"banned"}\n`).join('');
      s.write(lines);
      resolve(s);
    });
    s.on('error', () => undefined);
    s.once('error', reject);
  });
}

test('a client pipelining 20,000 requests without reading is backpressured then cut off; bans keep flowing; memory stays bounded', async () => {
  const h = new DaemonHarness('cflood', '');
  let client: Socket | null = null;
  try {
    const logfile = h.path('auth.log');
    h.touch(logfile);
    h.config.write('jail.local', jailSection('cf', logfile, { bantime: '1h' }));
    await h.start();
    // 200 bans make each `banned` answer ~40 KB: 20,000 of them would be ~800 MB if buffered.
    h.append(logfile, [...Array(200).keys()].map((i) => `FAIL login from 2001:db8:c::${(i + 1).toString(16)}`));
    assert.ok(await waitFor(() => h.elements('cf', 'v6').length === 200, 20_000));
    const pid = h.child!.pid!;
    const rssBefore = rssMb(pid);
    client = await pipeliner(h.socket, 20_000);
    const closed = new Promise<void>((r) => client!.once('close', () => r()));
    // The ban path is not held up by the flooding client.
    h.append(logfile, ['FAIL login from 203.0.113.77']);
    assert.ok(await waitFor(() => h.elements('cf').some((e) => e.addr === '203.0.113.77'), 10_000), 'a ban during the flood reaches the kernel');
    const ping = await h.cli(['ping']);
    assert.equal(ping.status, 0, `another client is answered meanwhile: ${ping.stderr}`);
    let peak = 0;
    const sampler = setInterval(() => { peak = Math.max(peak, rssMb(pid)); }, 100);
    await closed;
    clearInterval(sampler);
    assert.ok(peak - rssBefore < 200, `daemon RSS grew by ${(peak - rssBefore).toFixed(0)} MB (was 2.6 GB before the fix)`);
    assert.equal(h.child!.exitCode, null, 'the daemon is still running');
    assert.equal((await h.cli(['ping'])).status, 0);
  } finally {
    client?.destroy();
    await h.destroy();
  }
});

test('over the connection cap an ordinary client is answered "busy" (not EPIPE); root still gets in through its reserve', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'f2b-fw-cap-'));
  chmodSync(dir, 0o755);
  const path = join(dir, 'cap.sock');
  const real = await startInProcess((d) => jailSection('sshd', join(d, 'auth.log')));
  const server = await ControlServer.listen({ path, handler: apiHandler(real.daemon, '0.1.0'), group: 'nogroup', maxConnections: 2, rootReserve: 1, peerUid });
  const held: Socket[] = [];
  const heldClients: ControlClient[] = [];
  try {
    for (let i = 0; i < 2; i++) held.push(await new Promise<Socket>((r) => { const s = createConnection(path, () => r(s)); }));
    const nobody = await runCli(['ping', '--socket', path], { uid: 65534, gid: 65534 });
    assert.notEqual(nobody.status, 0);
    assert.match(nobody.stderr, /busy: 2 control connections are open, the limit \(root has 1 more\)/);
    assert.doesNotMatch(nobody.stderr, /EPIPE|ECONNRESET/);
    const root = await runCli(['ping', '--socket', path]);
    assert.equal(root.status, 0, `root is served from the reserve: ${root.stderr}`);
    // The root ping's connection may still be closing on the server side: hold a third one that is served.
    let third: ControlClient | null = null;
    assert.ok(await waitFor(async () => {
      const c = await ControlClient.connect(path);
      try {
        await c.request('ping');
        third = c;
        return true;
      } catch {
        c.close();
        return false;
      }
    }, 5000), 'a third connection (root, from the reserve) is served');
    heldClients.push(third!);
    const rootOver = await runCli(['ping', '--socket', path]);
    assert.match(rootOver.stderr, /busy: 3 control connections are open, the limit including the reserve for root/);
  } finally {
    for (const s of held) s.destroy();
    for (const c of heldClients) c.close();
    await server.close();
    await real.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
