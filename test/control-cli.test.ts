import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ControlServer } from '../src/control/server.js';
import { apiHandler } from '../src/control/dispatch.js';
import { EXIT } from '../src/cli/command.js';
import type { Daemon } from '../src/daemon/daemon.js';
import { jailSection } from './support/daemon-harness.js';
import { startInProcess, type InProcessDaemon } from './support/inproc-daemon.js';
import { runCli as cli } from './support/cli-run.js';

// The CLI against a real daemon (in this process, null backend), through a real control socket.
let dir: string;
let socket: string;
let t: InProcessDaemon;
let daemon: Daemon;
let server: ControlServer;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'f2bt-cli-'));
  chmodSync(dir, 0o755); // so that `nobody` reaches the socket and meets its own mode, not the directory's
  socket = join(dir, 'f2b-fw.sock');
  t = await startInProcess((d) => jailSection('sshd', join(d, 'auth.log'), { maxretry: '5' }) + jailSection('ufw-port-scan', join(d, 'ufw.log'), { maxretry: '5' }));
  daemon = t.daemon;
  writeFileSync(join(t.cfg.dir, 'ufw.log'), '');
  // Three failures of one address: "Currently failed: 1 … Total failed: 3".
  appendFileSync(join(t.cfg.dir, 'auth.log'), 'FAIL login from 192.0.2.50\n'.repeat(3));
  await t.waitLog(() => t.count((l) => l.event === 'found' && l.jail === 'sshd') === 3);
  server = await ControlServer.listen({ path: socket, handler: apiHandler(daemon, '0.1.0') });
});

after(async () => {
  await server.close();
  await t.close();
  rmSync(dir, { recursive: true, force: true });
});

async function bans(): Promise<string[]> {
  return (await t.driver.list()).map((b) => b.addr);
}

test('status and status JAIL print fail2ban-client\'s tree; --json prints the record', async () => {
  const overview = await cli(['status', '--socket', socket]);
  assert.equal(overview.status, EXIT.ok, overview.stderr);
  assert.equal(overview.stdout, 'Status\n|- Number of jail:\t2\n`- Jail list:\tsshd, ufw-port-scan\n');
  await cli(['ban', 'sshd', '203.0.113.9', '--socket', socket]);
  const jail = await cli(['status', 'sshd', '--socket', socket]);
  assert.equal(jail.status, EXIT.ok, jail.stderr);
  assert.match(jail.stdout, /^Status for the jail: sshd\n\|- Filter\n\|  \|- Currently failed:\t1\n\|  \|- Total failed:\t3\n/);
  assert.match(jail.stdout, /`- Actions\n {3}\|- Currently banned:\t1\n {3}\|- Total banned:\t1\n {3}`- Banned IP list:\t203\.0\.113\.9\n$/);
  const json = JSON.parse((await cli(['status', 'sshd', '--json', '--socket', socket])).stdout) as { bannedList: string[] };
  assert.deepEqual(json.bannedList, ['203.0.113.9']);
  const unknown = await cli(['status', 'nginx', '--socket', socket]);
  assert.equal(unknown.status, EXIT.failure);
  assert.match(unknown.stderr, /no jail "nginx" \(jails: sshd, ufw-port-scan\)/);
  await cli(['unban', '--all', '--socket', socket]);
});

test('ban, banned, history, unban work end to end with fail2ban\'s log wording', async () => {
  const ban = await cli(['ban', 'sshd', '203.0.113.9', '2001:db8::7', '--socket', socket]);
  assert.equal(ban.status, EXIT.ok, ban.stderr);
  assert.equal(ban.stdout, '[sshd] Ban 203.0.113.9\n[sshd] Ban 2001:db8::7\n');
  const again = await cli(['ban', 'sshd', '203.0.113.9', '--socket', socket]);
  assert.match(again.stdout, /already banned/);
  const banned = await cli(['banned', '203.0.113.9', '--socket', socket]);
  assert.equal(banned.status, EXIT.ok);
  assert.match(banned.stdout, /^JAIL +ADDRESS +ORIGIN +BANNED AT +COUNT +EXPIRES\nsshd +203\.0\.113\.9 +sshd .* until .* UTC \((9m \d+s|10m 0s) left\)\n$/);
  const none = await cli(['banned', '198.51.100.1', '--socket', socket]);
  assert.equal(none.status, EXIT.failure);
  assert.match(none.stdout, /198\.51\.100\.1 is not banned/);
  const history = await cli(['history', '2001:db8::7', '--json', '--socket', socket]);
  assert.equal((JSON.parse(history.stdout) as { jail: string }[])[0]!.jail, 'sshd');
  const unban = await cli(['unban', '203.0.113.9', '--socket', socket]);
  assert.equal(unban.status, EXIT.ok, unban.stderr);
  assert.equal(unban.stdout, '[sshd] Unban 203.0.113.9\n');
  const notBanned = await cli(['unban', 'sshd', '203.0.113.9', '--socket', socket]);
  assert.equal(notBanned.status, EXIT.failure);
  assert.match(notBanned.stderr, /203\.0\.113\.9 is not banned in sshd/);
  const all = await cli(['unban', 'sshd', '--all', '--socket', socket]);
  assert.equal(all.stdout, '[sshd] Unban 2001:db8::7\n');
  assert.deepEqual(await bans(), []);
});

test('unban without a jail reads its first word with the one address parser: leading zeros are decimal, never a jail name', async () => {
  assert.equal((await cli(['ban', 'sshd', '198.51.100.8', '--socket', socket])).status, EXIT.ok);
  const unban = await cli(['unban', '198.051.100.008', '--socket', socket]);
  assert.equal(unban.status, EXIT.ok, unban.stderr);
  assert.equal(unban.stdout, '[sshd] Unban 198.51.100.8\n');
  assert.deepEqual(await bans(), []);
});

test('get/set, including fail2ban-client\'s banip/unbanip spellings', async () => {
  assert.equal((await cli(['set', 'sshd', 'bantime', '3600', '--socket', socket])).stdout, '3600\n');
  assert.equal((await cli(['get', 'sshd', 'bantime', '--socket', socket])).stdout, '3600\n');
  assert.equal((await cli(['set', 'sshd', 'bantime', '--socket', socket, '--', '-1'])).stdout, '-1\n');
  const json = JSON.parse((await cli(['get', 'sshd', 'maxretry', '--json', '--socket', socket])).stdout) as unknown;
  assert.deepEqual(json, { jail: 'sshd', key: 'maxretry', value: 5 });
  assert.equal((await cli(['set', 'sshd', 'banip', '198.51.100.20', '198.51.100.21', '--socket', socket])).status, EXIT.ok);
  assert.deepEqual((await bans()).sort(), ['198.51.100.20', '198.51.100.21']);
  assert.equal((await cli(['set', 'sshd', 'unbanip', '198.51.100.20', '--socket', socket])).status, EXIT.ok);
  assert.deepEqual(await bans(), ['198.51.100.21']);
  const bad = await cli(['set', 'sshd', 'maxretry', 'lots', '--socket', socket]);
  assert.equal(bad.status, EXIT.failure);
  assert.match(bad.stderr, /\[sshd\] maxretry = "lots": expected a whole number from 1 to 1000000/);
  const usage = await cli(['set', 'sshd', '--socket', socket]);
  assert.equal(usage.status, EXIT.usage);
  assert.match(usage.stderr, /give JAIL, KEY and VALUE/);
});

test('ping, reload and stop', async () => {
  const ping = await cli(['ping', '--socket', socket]);
  assert.equal(ping.status, EXIT.ok);
  assert.match(ping.stdout, /^Server replied: pong \(f2b-fw 0\.1\.0, pid \d+\)\n$/);
  const reload = await cli(['reload', '--socket', socket]);
  assert.equal(reload.status, EXIT.ok, reload.stderr);
  assert.match(reload.stdout, /kept: sshd, ufw-port-scan/);
  const stop = await cli(['stop', '--socket', socket]);
  assert.equal(stop.stdout, 'Shutdown successful\n');
  assert.equal(t.stopRequested(), true);
});

test('no daemon: exit 6 and a message naming the socket', async () => {
  const missing = join(dir, 'nothing-here.sock');
  for (const cmd of [['ping'], ['status'], ['ban', 'sshd', '203.0.113.9']]) {
    const r = await cli([...cmd, '--socket', missing]);
    assert.equal(r.status, EXIT.notRunning, `${cmd[0]}: ${r.stderr}`);
    assert.match(r.stderr, new RegExp(`control socket ${missing.replace(/[.]/g, '\\.')} does not exist`));
  }
});

test('a client that is not root gets exit 7 and a clear permission error', async () => {
  const r = await cli(['status', '--socket', socket], { uid: 65534, gid: 65534 });
  assert.equal(r.status, EXIT.permission, r.stderr);
  assert.match(r.stderr, new RegExp(`permission denied on control socket ${socket.replace(/[.]/g, '\\.')} for uid 65534: only root`));
  assert.equal(r.stdout, '');
});

test('the socket group lets its members in, and only them', async () => {
  const groupSocket = join(dir, 'group.sock');
  const grouped = await ControlServer.listen({ path: groupSocket, handler: apiHandler(daemon, '0.1.0'), group: 'nogroup' });
  try {
    const member = await cli(['ping', '--socket', groupSocket], { uid: 65534, gid: 65534 });
    assert.equal(member.status, EXIT.ok, member.stderr);
    const other = await cli(['ping', '--socket', groupSocket], { uid: 65534, gid: 4242 });
    assert.equal(other.status, EXIT.permission);
  } finally {
    await grouped.close();
  }
});

test('--timeout bounds the wait for a daemon that does not answer', async () => {
  const hungSocket = join(dir, 'hung.sock');
  const hung = await ControlServer.listen({ path: hungSocket, handler: () => new Promise(() => undefined) });
  try {
    const r = await cli(['ping', '--timeout', '0.5', '--socket', hungSocket]);
    assert.equal(r.status, EXIT.failure);
    assert.match(r.stderr, /did not answer "ping" within 500 ms/);
    const bad = await cli(['ping', '--timeout', 'soon', '--socket', hungSocket]);
    assert.equal(bad.status, EXIT.usage);
  } finally {
    await hung.close();
  }
});

test('every client command has --help with its usage and exit codes', async () => {
  for (const name of ['status', 'ban', 'unban', 'banned', 'history', 'reload', 'stop', 'ping', 'get', 'set']) {
    const r = await cli([name, '--help']);
    assert.equal(r.status, EXIT.ok);
    assert.match(r.stdout, new RegExp(`^Usage: f2b-fw ${name}`));
    assert.match(r.stdout, /--socket PATH/);
    assert.match(r.stdout, /--timeout SECONDS/);
    assert.match(r.stdout, /6 no daemon on the socket, 7 permission denied/);
  }
});

test('without --socket the socket comes from f2b-fw.conf in --config-dir', async () => {
  const confDir = join(dir, 'etc');
  mkdirSync(confDir);
  writeFileSync(join(confDir, 'f2b-fw.conf'), `[Definition]\nsocket = ${socket}\n`);
  const r = await cli(['ping', '--config-dir', confDir]);
  assert.equal(r.status, EXIT.ok, r.stderr);
  writeFileSync(join(confDir, 'f2b-fw.conf'), `[Definition]\nsocket = ${join(dir, 'elsewhere.sock')}\n`);
  const missing = await cli(['ping', '--config-dir', confDir]);
  assert.equal(missing.status, EXIT.notRunning);
  assert.match(missing.stderr, /elsewhere\.sock does not exist/);
});
