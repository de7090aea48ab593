/**
 * The client against the real daemon: `f2b-fw run` (nftables backend) in a
 * network namespace of the test's own, the CLI as separate processes on the
 * host talking to it over the control socket, bans checked in the kernel set.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI_ENTRY } from '../src/core/paths.js';
import { EXIT } from '../src/cli/command.js';
import { Netns, hostFirewallSnapshot, waitFor } from './support/netns.js';
import { runCli as cli } from './support/cli-run.js';

const hostBefore = hostFirewallSnapshot();
let ns: Netns;
let dir: string;
let socket: string;
let daemon: ChildProcess;
let daemonLog = '';
let exited: Promise<number | null>;

before(async () => {
  ns = Netns.create('ctl');
  dir = mkdtempSync(join(tmpdir(), 'f2bt-ctld-'));
  chmodSync(dir, 0o755);
  const etc = join(dir, 'etc');
  mkdirSync(etc);
  writeFileSync(join(dir, 'auth.log'), '');
  socket = join(dir, 'run', 'f2b-fw.sock');
  writeFileSync(join(etc, 'f2b-fw.conf'), `[Definition]\nsocket = ${socket}\nsocketgroup = nogroup\n`);
  writeFileSync(join(etc, 'jail.local'), `[sshd]\nenabled = true\nlogpath = ${join(dir, 'auth.log')}\nbackend = polling\n`);
  daemon = ns.spawn(process.execPath, [CLI_ENTRY, 'run', '--config-dir', etc, '--db', join(dir, 'db.sqlite3'), '--pidfile', join(dir, 'run', 'pid'), '--logtarget', 'STDOUT'], { stdio: ['ignore', 'pipe', 'pipe'] });
  daemon.stdout!.on('data', (d) => (daemonLog += d));
  daemon.stderr!.on('data', (d) => (daemonLog += d));
  exited = new Promise((r) => daemon.once('exit', (code) => r(code)));
  const up = await waitFor(async () => (await cli(['ping', '--socket', socket])).status === EXIT.ok, 20_000, 200);
  assert.ok(up, `daemon did not answer within 20 s:\n${daemonLog}`);
});

after(() => {
  daemon.kill('SIGKILL');
  ns.destroy();
  rmSync(dir, { recursive: true, force: true });
  assert.equal(hostFirewallSnapshot(), hostBefore, 'the host firewall is untouched');
});

function kernelSet(name: string): string {
  return ns.run('nft', ['list', 'set', 'inet', 'f2b-fw', name]);
}

test('status, ban, banned, unban through the socket reach the kernel', async () => {
  const status = await cli(['status', '--config-dir', join(dir, 'etc')]);
  assert.equal(status.status, EXIT.ok, status.stderr);
  assert.equal(status.stdout, 'Status\n|- Number of jail:\t1\n`- Jail list:\tsshd\n');
  const ban = await cli(['ban', 'sshd', '203.0.113.9', '2001:db8::9', '--socket', socket]);
  assert.equal(ban.stdout, '[sshd] Ban 203.0.113.9\n[sshd] Ban 2001:db8::9\n', ban.stderr);
  assert.match(kernelSet('sshd-v4'), /203\.0\.113\.9 timeout/);
  assert.match(kernelSet('sshd-v6'), /2001:db8::9 timeout/);
  const tree = await cli(['status', 'sshd', '--socket', socket]);
  assert.match(tree.stdout, /\|  `- File list:\t.*auth\.log\n`- Actions\n {3}\|- Currently banned:\t2\n/);
  assert.match(tree.stdout, /`- Banned IP list:\t(203\.0\.113\.9 2001:db8::9|2001:db8::9 203\.0\.113\.9)\n$/);
  const banned = await cli(['banned', '203.0.113.9', '--json', '--socket', socket]);
  assert.equal((JSON.parse(banned.stdout) as { jail: string }[])[0]!.jail, 'sshd');
  const setBan = await cli(['set', 'sshd', 'banip', '198.51.100.7', '--socket', socket]);
  assert.equal(setBan.status, EXIT.ok, setBan.stderr);
  assert.match(kernelSet('sshd-v4'), /198\.51\.100\.7 timeout/);
  const unban = await cli(['unban', 'sshd', '203.0.113.9', '--socket', socket]);
  assert.equal(unban.stdout, '[sshd] Unban 203.0.113.9\n', unban.stderr);
  assert.doesNotMatch(kernelSet('sshd-v4'), /203\.0\.113\.9/);
  const unknown = await cli(['ban', 'nginx', '203.0.113.9', '--socket', socket]);
  assert.equal(unknown.status, EXIT.failure);
  assert.match(unknown.stderr, /nginx/);
});

test('the daemon\'s socket refuses a client outside root and socketgroup with exit 7, and lets a member in', async () => {
  const outsider = await cli(['status', '--socket', socket], { uid: 65534, gid: 4242 });
  assert.equal(outsider.status, EXIT.permission, outsider.stderr);
  assert.match(outsider.stderr, /permission denied on control socket .*f2b-fw\.sock for uid 65534/);
  const member = await cli(['ping', '--socket', socket], { uid: 65534, gid: 65534 });
  assert.equal(member.status, EXIT.ok, member.stderr);
});

test('stop ends the daemon cleanly and removes the socket; then the client says nothing runs', async () => {
  const stop = await cli(['stop', '--socket', socket]);
  assert.equal(stop.status, EXIT.ok, stop.stderr);
  assert.equal(await exited, 0, daemonLog);
  assert.equal(existsSync(socket), false);
  const ping = await cli(['ping', '--socket', socket]);
  assert.equal(ping.status, EXIT.notRunning);
  assert.match(ping.stderr, /f2b-fw\.sock does not exist/);
});
