/**
 * Cut lines must never ban (issue 10.8): a line cut at our 4 KiB cap, or by the
 * program that wrote it (nginx at 2048 bytes, dropping its ", client: …" tail),
 * must not let an attacker-controlled field supply the address. The exact
 * payloads go through the shipped filters, through the daemon's real file
 * reader, and through `f2b-fw test-filter`, which must cut at the same byte.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { loadFilterDefinition } from '../src/config/filter-load.js';
import { LIMITS } from '../src/core/defaults.js';
import { CLI_ENTRY } from '../src/core/paths.js';
import type { Line } from '../src/core/records.js';
import { compileFilter } from '../src/filter/filter.js';
import { createSources } from '../src/sources/source.js';
import { MemoryPositionStore } from '../src/sources/position.js';
import { Collector } from './support/source-harness.js';
import { tempConfigDir } from './support/config-files.js';

process.env.TZ = 'UTC';
const NOW = Date.UTC(2026, 10, 21, 6, 0, 0);
const FAKE = '203.0.113.9';
const REAL = '198.51.100.7';
const bytes = (s: string): number => Buffer.byteLength(s, 'utf8');
/** `head` + padding + `fake` ending exactly at byte `at`, then `tail`. */
function placed(head: string, fake: string, at: number, tail: string): { line: string; cutAt: string } {
  const pad = 'A'.repeat(at - bytes(head) - bytes(fake));
  const cutAt = `${head}${pad}${fake}`;
  assert.equal(bytes(cutAt), at);
  return { line: `${cutAt}${tail}`, cutAt };
}

const tmp = tempConfigDir();
after(() => tmp.remove());
const filterOf = (name: string) => compileFilter(loadFilterDefinition(tmp.dir, name), { clock: { now: () => NOW }, logtimezone: 'UTC' });

/** The payloads: the part up to the cut supplies FAKE; the real tail names REAL. */
const SSHD_HEAD = 'Nov 21 05:09:37 host sshd[12]: Failed password for invalid user ';
const SSHD = placed(SSHD_HEAD, ` from ${FAKE} port 22 ssh2`, LIMITS.lineBytes, ` from ${REAL} port 4242 ssh2`);
const DOVECOT = placed('Nov 21 05:09:37 host dovecot: auth: passwd-file(', `,${FAKE}): unknown user`, LIMITS.lineBytes, `,${REAL},<abc>): unknown user`);
/** nginx cut the line at 2047 bytes + newline, its ", client: REAL…" tail gone. */
const NGINX_CUT = placed('2026/11/21 05:09:37 [error] 2865#2865: *66647 user "x": password mismatch, client: ' + FAKE + ', server: ',
  '', 2047, '').cutAt;

async function throughFileReader(text: string): Promise<Line[]> {
  const path = tmp.write(`log-${Math.random().toString(36).slice(2)}.log`, '');
  const c = new Collector();
  const src = createSources({ logpath: [path], backend: 'polling' }, c.deps(new MemoryPositionStore()));
  await src.start();
  try {
    writeFileSync(path, `${text}\n`, { flag: 'a' });
    assert.ok(await c.waitLines(1));
    return c.lines;
  } finally {
    await src.stop();
  }
}

function testFilterJson(text: string, filter: string): { lines: { matched: number; cut: number }; matches: { addr: string }[] } {
  const path = tmp.write(`tf-${filter}.log`, `${text}\n`);
  const r = spawnSync(process.execPath, [CLI_ENTRY, 'test-filter', '--config-dir', tmp.dir, '--json', path, filter], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as ReturnType<typeof testFilterJson>;
}

describe('a line cut at the 4 KiB cap never bans the address the attacker put at the cut', () => {
  for (const [name, payload] of [['sshd', SSHD], ['dovecot', DOVECOT]] as const) {
    it(`${name}: through the daemon's file reader, the line arrives cut and matches nothing`, async () => {
      const [line] = await throughFileReader(payload.line);
      assert.equal(line!.text, payload.cutAt, 'cut exactly at the cap, in bytes');
      assert.equal(line!.cut, true);
      const open = `${name}[maxlinelen=${LIMITS.lineBytes}]`; // only the cut flag stands in the way
      assert.deepEqual(filterOf(open).feed({ ...line!, cut: false }).map((h) => h.addr), [FAKE], 'without the cut flag the fake address would be banned');
      assert.deepEqual(filterOf(open).feed(line!), []);
      assert.deepEqual(filterOf(name).feed(line!), []);
    });

    it(`${name}: test-filter cuts at the same byte and matches nothing`, () => {
      const doc = testFilterJson(payload.line, name);
      assert.equal(doc.lines.matched, 0);
      assert.equal(doc.lines.cut, 1);
      assert.deepEqual(doc.matches, []);
    });
  }

  it('dovecot: the same attack in a line short enough to stay whole names the real client', () => {
    const whole = placed('Nov 21 05:09:37 host dovecot: auth: passwd-file(', `,${FAKE}): unknown user`, 600, `,${REAL},<abc>): unknown user`).line;
    assert.deepEqual(filterOf('dovecot').feed({ source: 'x', text: whole, readAt: NOW }).map((h) => h.addr), [REAL]);
  });
});

describe('lines a program cut itself: the shipped filters carry a length ceiling', () => {
  it('nginx-http-auth: a 2047-byte error line whose user name supplies ", client: FAKE, server: …" is not matched', () => {
    const f = filterOf('nginx-http-auth');
    assert.equal(f.maxlinelen, 2000);
    assert.deepEqual(f.feed({ source: 'x', text: NGINX_CUT, readAt: NOW }), []);
    const doc = testFilterJson(NGINX_CUT, 'nginx-http-auth');
    assert.equal(doc.lines.matched, 0);
    assert.equal(doc.lines.cut, 1);
  });

  it('nginx-http-auth: without the ceiling that line would ban FAKE; a normal line still matches the real client', () => {
    const def = loadFilterDefinition(tmp.dir, 'nginx-http-auth[maxlinelen=4096]');
    const open = compileFilter(def, { clock: { now: () => NOW }, logtimezone: 'UTC' });
    assert.deepEqual(open.feed({ source: 'x', text: NGINX_CUT, readAt: NOW }).map((h) => h.addr), [FAKE]);
    const normal = `2026/11/21 05:09:37 [error] 2865#2865: *66647 user "bob": password mismatch, client: ${REAL}, server: example.com, request: "GET / HTTP/1.1", host: "example.com"`;
    assert.deepEqual(filterOf('nginx-http-auth').feed({ source: 'x', text: normal, readAt: NOW }).map((h) => h.addr), [REAL]);
  });

  it('sshd: a line longer than sshd\'s 1024-byte message buffer is not matched', () => {
    const cut = placed(SSHD_HEAD, ` from ${FAKE} port 22 ssh2`, 1100, '').cutAt;
    assert.deepEqual(filterOf(`sshd[maxlinelen=${LIMITS.lineBytes}]`).feed({ source: 'x', text: cut, readAt: NOW }).map((h) => h.addr), [FAKE]);
    assert.deepEqual(filterOf('sshd').feed({ source: 'x', text: cut, readAt: NOW }), []);
    assert.equal(testFilterJson(cut, 'sshd').lines.matched, 0);
  });
});

