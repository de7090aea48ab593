import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createConnection } from 'node:net';
import { spawn } from 'node:child_process';
import { chmodSync, lstatSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ControlServer } from '../src/control/server.js';
import { ControlClient, callDaemon } from '../src/control/client.js';
import { apiHandler } from '../src/control/dispatch.js';
import { F2bError } from '../src/core/errors.js';
import { appendFileSync } from 'node:fs';
import type { DaemonApi } from '../src/daemon/api.js';
import { jailSection } from './support/daemon-harness.js';
import { startInProcess, type InProcessDaemon } from './support/inproc-daemon.js';

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'f2bt-ctl-'));
  chmodSync(dir, 0o755);
  return dir;
}

// One real daemon (in this process, null backend) behind every server of this file.
let real: InProcessDaemon;
before(async () => {
  real = await startInProcess((d) => jailSection('sshd', join(d, 'auth.log'), { maxretry: '5' }));
  // Two addresses failing once each: "Currently failed: 2".
  appendFileSync(join(real.cfg.dir, 'auth.log'), 'FAIL login from 192.0.2.51\nFAIL login from 192.0.2.52\n');
  await real.waitLog(() => real.count((l) => l.event === 'found') === 2);
});
after(() => real.close());

/** The real daemon with some methods replaced (a slow reload, a stop that closes the server). */
function variant(over: Partial<DaemonApi>): DaemonApi {
  return Object.assign(Object.create(real.daemon) as DaemonApi, over);
}

async function withServer(fn: (path: string, daemon: InProcessDaemon, dir: string) => Promise<void>, extra: { idleMs?: number; requestBytes?: number } = {}): Promise<void> {
  const dir = tempDir();
  const path = join(dir, 'run', 'f2b-fw.sock');
  const server = await ControlServer.listen({ path, handler: apiHandler(real.daemon, '9.9.9'), ...extra });
  try {
    await fn(path, real, dir);
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Writes raw bytes and collects response lines until the daemon closes or `count` lines came. */
function raw(path: string, data: string | Buffer, count: number): Promise<{ lines: string[]; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const s = createConnection(path);
    let buf = '';
    const lines: string[] = [];
    const timer = setTimeout(() => reject(new Error(`no ${count} answers within 5 s; got ${JSON.stringify(lines)}`)), 5000);
    const done = (closed: boolean): void => {
      clearTimeout(timer);
      s.destroy();
      resolve({ lines, closed });
    };
    s.on('data', (d) => {
      buf += d.toString();
      let nl;
      while ((nl = buf.indexOf('\n')) !== -1) {
        lines.push(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
      }
      if (lines.length >= count) done(false);
    });
    s.on('close', () => done(true));
    s.on('error', () => undefined);
    s.write(data);
  });
}

test('the socket is created 0600 in a new runtime directory and removed on close', async () => {
  const dir = tempDir();
  const path = join(dir, 'run', 'f2b-fw.sock');
  const server = await ControlServer.listen({ path, handler: apiHandler(real.daemon, '1') });
  const st = lstatSync(path);
  assert.ok(st.isSocket());
  assert.equal(st.mode & 0o777, 0o600);
  assert.equal(st.uid, process.getuid!());
  await server.close();
  assert.throws(() => lstatSync(path), /ENOENT/);
  rmSync(dir, { recursive: true });
});

test('with a group the socket is 0660 and owned by that group', async () => {
  const dir = tempDir();
  const path = join(dir, 'f2b-fw.sock');
  const server = await ControlServer.listen({ path, handler: apiHandler(real.daemon, '1'), group: 'nogroup' });
  const st = lstatSync(path);
  assert.equal(st.mode & 0o777, 0o660);
  assert.equal(st.gid, 65534);
  await server.close();
  await assert.rejects(ControlServer.listen({ path, handler: apiHandler(real.daemon, '1'), group: 'no-such-group-f2b' }), /group "no-such-group-f2b" does not exist in \/etc\/group/);
  rmSync(dir, { recursive: true });
});

test('requests reach the API and answers come back in order on one connection', async () => {
  await withServer(async (path, daemon) => {
    const client = await ControlClient.connect(path);
    try {
      const [pong, status, ban] = await Promise.all([
        client.request('ping'),
        client.request('status', { jail: 'sshd' }),
        client.request('ban', { jail: 'sshd', addrs: ['203.0.113.9', '2001:db8::1'] }),
      ]);
      assert.deepEqual(pong, { pong: true, pid: process.pid, protocol: 1, version: '9.9.9' });
      assert.equal((status as { currentlyFailed: number }).currentlyFailed, 2);
      assert.deepEqual(ban, { banned: ['203.0.113.9', '2001:db8::1'], already: [], refreshed: [] });
      assert.equal((await daemon.driver.list()).length, 2);
      await client.request('stop');
      assert.equal(daemon.stopRequested(), true);
    } finally {
      client.close();
    }
  });
});

test('API errors keep their code; bad arguments and unknown commands are refused clearly', async () => {
  await withServer(async (path) => {
    await assert.rejects(callDaemon(path, 'status', { jail: 'nginx' }), (e: F2bError) => e.code === 'unknown-jail' && /no jail "nginx" \(jails: sshd\)/.test(e.message));
    await assert.rejects(callDaemon(path, 'ban', { jail: 'sshd', addrs: ['not-an-ip'] }), (e: F2bError) => e.code === 'bad-address');
    await assert.rejects(callDaemon(path, 'ban', { jail: 'sshd', addrs: '203.0.113.9' }), (e: F2bError) => e.code === 'usage' && /"addrs" must be a non-empty list/.test(e.message));
    await assert.rejects(callDaemon(path, 'frob'), (e: F2bError) => e.code === 'unknown-command' && /answers: ping, .*status, ban/.test(e.message));
    await assert.rejects(callDaemon(path, 'toString'), (e: F2bError) => e.code === 'unknown-command');
  });
});

test('a garbage line gets an error answer and the connection stays usable', async () => {
  await withServer(async (path) => {
    const { lines } = await raw(path, 'hello\n{"v":7,"id":2,"cmd":"ping"}\n{"v":1,"id":3,"cmd":"ping"}\n', 3);
    assert.equal(JSON.parse(lines[0]!).error.code, 'bad-request');
    assert.deepEqual(JSON.parse(lines[1]!).error.code, 'version');
    assert.equal(JSON.parse(lines[1]!).id, 2);
    assert.equal(JSON.parse(lines[2]!).result.pong, true);
  });
});

test('an oversized request is refused and the connection closed', async () => {
  await withServer(async (path) => {
    const { lines, closed } = await raw(path, Buffer.alloc(5000, 'x'), 1);
    assert.equal(JSON.parse(lines[0]!).error.code, 'too-large');
    assert.match(JSON.parse(lines[0]!).error.message, /longer than 1024 bytes/);
    assert.ok(closed || lines.length === 1);
  }, { requestBytes: 1024 });
});

test('an idle connection is closed by the daemon', async () => {
  await withServer(async (path) => {
    const { lines, closed } = await raw(path, '{"v":1,"id":1,', 1);
    assert.equal(closed, true);
    assert.deepEqual(lines, []);
  }, { idleMs: 200 });
});

test('a slow request is not cut off by the idle timeout', async () => {
  const dir = tempDir();
  const path = join(dir, 'f2b-fw.sock');
  // The request lasts until a connection opened after it arrived, and idle since, has been closed by
  // the server's idle timeout: it outlived that timeout, measured by the server itself.
  const outlivedIdleTimeout = (): Promise<void> => new Promise((resolve) => createConnection(path).on('close', () => resolve()).on('error', () => undefined));
  const slow = variant({
    reload: async (jail?: string) => {
      await outlivedIdleTimeout();
      return real.daemon.reload(jail);
    },
  });
  const server = await ControlServer.listen({ path, handler: apiHandler(slow, '1'), idleMs: 200 });
  try {
    assert.deepEqual(((await callDaemon(path, 'reload')) as { kept: string[] }).kept, ['sshd']);
  } finally {
    await server.close();
    rmSync(dir, { recursive: true });
  }
});

test('stop: the client gets its answer even though the daemon closes the socket right after', async () => {
  const dir = tempDir();
  const path = join(dir, 'f2b-fw.sock');
  let server: ControlServer | undefined;
  let startClosing!: () => void;
  const closing = new Promise<void>((resolve) => { startClosing = () => resolve(server!.close()); });
  const daemon = variant({
    stop: async () => {
      setImmediate(startClosing);
    },
  });
  server = await ControlServer.listen({ path, handler: apiHandler(daemon, '1') });
  const client = await ControlClient.connect(path);
  const idle = await ControlClient.connect(path);
  try {
    assert.equal(await client.request('stop'), null);
    await closing;
    await assert.rejects(idle.request('ping'), (e: F2bError) => e.code === 'not-running');
    assert.throws(() => lstatSync(path), /ENOENT/);
  } finally {
    client.close();
    idle.close();
    rmSync(dir, { recursive: true });
  }
});

test('a stale socket file is replaced; a live one or a non-socket is refused', async () => {
  const dir = tempDir();
  const path = join(dir, 'f2b-fw.sock');
  writeFileSync(join(dir, 'dummy'), '');
  // A daemon that dies by SIGKILL leaves its socket file behind.
  const child = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(path)}, () => console.log('up'))`], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise((r) => child.stdout!.once('data', r));
  const live = ControlServer.listen({ path, handler: apiHandler(real.daemon, '1') });
  await assert.rejects(live, /another f2b-fw daemon already answers on control socket/);
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  assert.ok(lstatSync(path).isSocket(), 'SIGKILL left the socket file behind');
  const server = await ControlServer.listen({ path, handler: apiHandler(real.daemon, '1') });
  assert.equal(((await callDaemon(path, 'ping')) as { pong: boolean }).pong, true);
  await server.close();
  await assert.rejects(ControlServer.listen({ path: join(dir, 'dummy'), handler: apiHandler(real.daemon, '1') }), /exists and is not a socket/);
  await assert.rejects(ControlServer.listen({ path: join(dir, 'x'.repeat(120)), handler: apiHandler(real.daemon, '1') }), /longer than 107 bytes/);
  rmSync(dir, { recursive: true });
});

test('the client says no daemon runs, naming the socket', async () => {
  const dir = tempDir();
  const path = join(dir, 'f2b-fw.sock');
  await assert.rejects(callDaemon(path, 'ping'), (e: F2bError) => e.code === 'not-running' && e.message.includes(path));
  rmSync(dir, { recursive: true });
});
