import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { makeTestCerts } from './support/test-ca.js';
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { loadJailConfig } from '../src/config/load.js';
import { loadActionDefinition } from '../src/actions/definition.js';
import { CommandAction } from '../src/actions/command.js';
import { banValues } from '../src/actions/hub.js';
import { systemClock, systemTimers } from '../src/core/clock.js';
import { Netns } from './support/netns.js';
import { Receiver, type Received } from './support/http-peer.js';
import { tempConfigDir, type TempConfigDir } from './support/config-files.js';
import { fetchFail2ban, removeFail2ban, type Fail2banTree } from './compat/samples.js';

const CHILD = fileURLToPath(new URL('./support/abuseipdb-child.js', import.meta.url));

let tree: Fail2banTree | string;
let ns: Netns;
let dir: TempConfigDir;
let peer: Receiver;
let got: Received[] = [];

before(async () => {
  tree = fetchFail2ban();
  dir = tempConfigDir();
  makeTestCerts(dir.dir, ['api.abuseipdb.com']);
  ns = Netns.create('abuse');
  mkdirSync(`/etc/netns/${ns.name}`, { recursive: true });
  writeFileSync(`/etc/netns/${ns.name}/hosts`, '127.0.0.1 localhost api.abuseipdb.com\n');
  // 200 for the first reports, then a quota 429 (Retry-After: 1).
  peer = await Receiver.start(ns, 443, ['--cert', join(dir.dir, 'srv.pem'), '--key', join(dir.dir, 'srv.key'), '--statuses', '200,200,200,429']);
  got = peer.got;
});

after(() => {
  void peer?.stop();
  ns?.destroy();
  if (ns) rmSync(`/etc/netns/${ns.name}`, { recursive: true, force: true });
  dir?.remove();
  if (typeof tree !== 'string') removeFail2ban(tree);
});

const hostile = ['sshd[1]: Failed password for invalid user $(touch /tmp/pwned) from 203.0.113.5 port 22 ssh2', 'postfix: reject from eve@example.org'];

test('fail2ban\'s stock abuseipdb.conf runs unchanged (curl) against the HTTPS peer, log lines as data', async (t) => {
  if (typeof tree === 'string') { t.skip(tree); return; }
  const cfg = tempConfigDir({ 'jail.local': '[sshd]\nenabled = true\nlogpath = /dev/null\naction = abuseipdb[abuseipdb_apikey="k3y", abuseipdb_category="18,22"]\n' });
  try {
    cpSync(join(tree.configDir, 'action.d', 'abuseipdb.conf'), join(cfg.dir, 'action.d', 'abuseipdb.conf'));
    const loaded = loadJailConfig(cfg.dir);
    const [a] = loaded.actions.get('sshd')!;
    const def = loadActionDefinition(cfg.dir, a!.ref, loaded.jails.find((j) => j.name === 'sshd')!)!;
    const inNs = (cmd: string, args: readonly string[], o: object) => spawn('ip', ['netns', 'exec', ns.name, cmd, ...args], o);
    process.env.CURL_CA_BUNDLE = join(dir.dir, 'ca.pem');
    const action = new CommandAction({ ...a!, def }, { clock: systemClock, timers: systemTimers, log: pino({ level: 'silent' }), spawn: inNs });
    const before = got.length;
    const r = await action.run('ban', banValues({ op: 'ban', jail: 'sshd', addr: '203.0.113.5', bannedAt: Date.now(), expiresAt: null, banCount: 1, failures: 2, matches: hostile, fields: {} }));
    assert.deepEqual(r, { kind: 'done' });
    const req = got[before]!;
    assert.equal(req.url, '/api/v2/report');
    assert.equal(req.headers.key, 'k3y');
    const form = new URLSearchParams(req.body);
    assert.equal(form.get('ip'), '203.0.113.5');
    assert.equal(form.get('categories'), '18,22');
    assert.equal(form.get('comment'), `${hostile.join('\n')}\n...`, 'the stock action sends the lines as they are, and no command ran');
  } finally {
    delete process.env.CURL_CA_BUNDLE;
    cfg.remove();
  }
});

test('the native reporter: form report over HTTPS, comment scrubbed and capped, one report per address per 15 min, 429 retried at Retry-After', async () => {
  const ban = (ip: string, matches: string[]) => banValues({ op: 'ban', jail: 'sshd', addr: ip, bannedAt: Date.now(), expiresAt: null, banCount: 1, failures: 1, matches, fields: { user: 'alice' } });
  const long = [...hostile, 'login failed for alice', 'x'.repeat(3000)];
  const input = {
    args: { abuseipdb_apikey: 'k3y', abuseipdb_category: '18, 22' },
    bans: [ban('203.0.113.6', long), ban('203.0.113.6', long), ban('2001:db8::6', ['m']), ban('203.0.113.7', ['m'])],
  };
  const before = got.length;
  const child = spawn('ip', ['netns', 'exec', ns.name, process.execPath, CHILD, JSON.stringify(input)], {
    env: { ...process.env, NODE_EXTRA_CA_CERTS: join(dir.dir, 'ca.pem') }, stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  await new Promise((res) => child.once('exit', res));
  const results = out.trim().split('\n').map((l) => JSON.parse(l) as { kind: string; at?: number; now: number; error?: string });
  assert.deepEqual(results.map((r) => r.kind), ['done', 'done', 'done', 'retry']);
  assert.equal(got.length - before, 3, 'the second report of 203.0.113.6 within 15 min is not sent');
  const form = new URLSearchParams(got[before]!.body);
  assert.equal(form.get('categories'), '18,22');
  const comment = form.get('comment')!;
  assert.equal(comment.length, 1024);
  assert.ok(!comment.includes('alice') && !comment.includes('eve@example.org'), comment.slice(0, 300));
  assert.match(comment, /Failed password for invalid user \[user\]/);
  assert.match(comment, /login \[user\]/);
  assert.equal(new URLSearchParams(got[before + 1]!.body).get('ip'), '2001:db8::6');
  const last = results[3]!;
  assert.match(last.error!, /HTTP 429/);
  assert.ok(last.at! > last.now - 2000 && last.at! <= last.now + 1500, 'retried at Retry-After (1 s)');
});
