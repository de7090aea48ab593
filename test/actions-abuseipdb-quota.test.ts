/**
 * The native AbuseIPDB reporter against a real HTTPS peer playing api.abuseipdb.com in a namespace
 * (/etc/netns hosts, a test CA), answering as AbuseIPDB v2 does: the daily quota in
 * X-RateLimit-Limit / -Remaining / -Reset (epoch seconds), a 429 for the same address within 15
 * minutes (counts as delivered, no quota wait) told apart from the daily-limit 429 (retried at
 * Retry-After, later reports wait for the reset without a request).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { banValues } from '../src/actions/hub.js';
import { Netns } from './support/netns.js';
import { Receiver } from './support/http-peer.js';
import { tempConfigDir, type TempConfigDir } from './support/config-files.js';
import { makeTestCerts } from './support/test-ca.js';

const CHILD = fileURLToPath(new URL('./support/abuseipdb-child.js', import.meta.url));

let ns: Netns;
let dir: TempConfigDir;
let peer: Receiver;

const quotaBody = JSON.stringify({ errors: [{ detail: 'Daily rate limit of 1000 requests exceeded for this endpoint. See headers for additional details.', status: 429 }] });
const sameIpBody = JSON.stringify({ errors: [{ detail: 'You can only report the same IP address (`203.0.113.22`) once in 15 minutes.', status: 429, source: { parameter: 'ip' } }] });
const ok = JSON.stringify({ data: { ipAddress: '203.0.113.21', abuseConfidenceScore: 100 } });

before(async () => {
  dir = tempConfigDir();
  makeTestCerts(dir.dir, ['api.abuseipdb.com']);
  ns = Netns.create('abuseq');
  mkdirSync(`/etc/netns/${ns.name}`, { recursive: true });
  writeFileSync(`/etc/netns/${ns.name}/hosts`, '127.0.0.1 localhost api.abuseipdb.com\n');
  const responses = [
    { status: 200, headers: { 'x-ratelimit-limit': '1000', 'x-ratelimit-remaining': '998' }, body: ok },
    // Another reporter (or an earlier run) reported 203.0.113.22 minutes ago.
    { status: 429, headers: { 'x-ratelimit-limit': '1000', 'x-ratelimit-remaining': '997' }, body: sameIpBody },
    // The last report of the day.
    { status: 200, headers: { 'x-ratelimit-limit': '1000', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': 'now+3600' }, body: ok },
    { status: 429, headers: { 'retry-after': '7200', 'x-ratelimit-limit': '1000', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': 'now+7200' }, body: quotaBody },
  ];
  peer = await Receiver.start(ns, 443, ['--cert', join(dir.dir, 'srv.pem'), '--key', join(dir.dir, 'srv.key'), '--responses', JSON.stringify(responses)]);
});

after(async () => {
  await peer?.stop();
  ns?.destroy();
  if (ns) rmSync(`/etc/netns/${ns.name}`, { recursive: true, force: true });
  dir?.remove();
});

interface Outcome { kind: string; at?: number; now: number; error?: string; reason?: string }

/** One reporter process in the namespace reporting `ips` in turn; its outcomes. */
async function report(ips: readonly string[]): Promise<Outcome[]> {
  const bans = ips.map((ip) => banValues({ op: 'ban', jail: 'sshd', addr: ip, bannedAt: Date.now(), expiresAt: null, banCount: 1, failures: 3, matches: [`sshd: Failed password from ${ip}`], fields: {} }));
  const child = spawn('ip', ['netns', 'exec', ns.name, process.execPath, CHILD, JSON.stringify({ args: { abuseipdb_apikey: 'k3y', abuseipdb_category: '18,22' }, bans })], {
    env: { ...process.env, NODE_EXTRA_CA_CERTS: join(dir.dir, 'ca.pem') }, stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  await new Promise((res) => child.once('exit', res));
  return out.trim().split('\n').map((l) => JSON.parse(l) as Outcome);
}

const near = (at: number | undefined, want: number): boolean => at !== undefined && Math.abs(at - want) < 5_000;

test('quota headers: reports go while X-RateLimit-Remaining > 0; at 0 the next one waits for X-RateLimit-Reset without a request; the 15-minute 429 counts as delivered', async () => {
  const r = await report(['203.0.113.21', '203.0.113.22', '203.0.113.23', '203.0.113.24']);
  assert.deepEqual(r.map((o) => o.kind), ['done', 'done', 'done', 'retry']);
  assert.equal(peer.got.length, 3, 'the report after the quota ran out was not sent');
  assert.deepEqual(peer.got.map((g) => new URLSearchParams(g.body).get('ip')), ['203.0.113.21', '203.0.113.22', '203.0.113.23'],
    'the 15-minute 429 did not hold back the next report (no quota wait)');
  const wait = r[3]!;
  assert.match(wait.error!, /quota/);
  assert.ok(near(wait.at, wait.now + 3_600_000), `retried at X-RateLimit-Reset (in 1 h): ${wait.at} vs ${wait.now}`);
});

test('the daily-limit 429: retried at Retry-After, and a fresh report after it waits for the reset without a request', async () => {
  const before = peer.got.length;
  const r = await report(['203.0.113.25', '203.0.113.26']);
  assert.equal(peer.got.length - before, 1, 'only the first report reached the peer');
  const [limited, held] = r as [Outcome, Outcome];
  assert.equal(limited.kind, 'retry', 'a quota 429 is not taken for the 15-minute one');
  assert.match(limited.error!, /HTTP 429: .*Daily rate limit/);
  assert.ok(near(limited.at, limited.now + 7_200_000), `retried at Retry-After (2 h): ${limited.at} vs ${limited.now}`);
  assert.equal(held.kind, 'retry');
  assert.match(held.error!, /quota/);
  assert.ok(near(held.at, held.now + 7_200_000), 'held until X-RateLimit-Reset');
});
