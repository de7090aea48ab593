import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
let dir = '';
let log = '';

const LOG = [
  'Nov 21 05:09:37 host app[1]: login failed for bob from 192.0.2.1',
  'Nov 21 05:09:38 host CRON[2]: session opened',
  'Nov 21 05:09:39 host app[1]: login failed for alice from 2001:db8::7',
  'Nov 21 05:09:40 host app[1]: login failed for trusted from 198.51.100.9',
].join('\n');

const FILTER = `[Definition]
_daemon = app
failregex = ^\\s*\\S+ %(_daemon)s\\[\\d+\\]: login failed for <F-USER>\\S+</F-USER> from <HOST>$
ignoreregex = for trusted
[Init]
`;

function cli(args: string[], input?: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('node', [CLI, 'test-filter', ...args], { encoding: 'utf8', input, env: { ...process.env, TZ: 'UTC' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'f2b-test-filter-'));
  mkdirSync(join(dir, 'filter.d'));
  writeFileSync(join(dir, 'filter.d', 'app.conf'), FILTER);
  log = join(dir, 'app.log');
  writeFileSync(log, `${LOG}\n`);
});

after(() => rmSync(dir, { recursive: true, force: true }));

test('a filter by name from --config-dir: hits per failregex with addresses, counts, dates, speed', () => {
  const r = cli(['--config-dir', dir, log, 'app']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /192\.0\.2\.1 {2}\d{4}-11-21T05:09:37\.000Z {2}line 1/);
  assert.match(r.stdout, /2001:db8::7 {2}\d{4}-11-21T05:09:39\.000Z {2}line 3/);
  assert.match(r.stdout, /Ignoreregex: 1 total/);
  assert.match(r.stdout, /\[4\] \{\^LN-BEG\}\(\?:%a \)\?%b %d/);
  assert.match(r.stdout, /Lines: 4 lines, 1 ignored, 2 matched, 1 missed/);
  assert.match(r.stdout, /processed in [\d.]+ sec, \d+ lines\/s/);
});

test('--json: every matched line with number, address and parsed time', () => {
  const r = cli(['--config-dir', dir, '--json', log, 'app']);
  assert.equal(r.status, 0, r.stderr);
  const doc = JSON.parse(r.stdout) as { lines: Record<string, number>; matches: Array<{ line: number; addr: string; time: string; fields: Record<string, string> }> };
  assert.deepEqual(doc.lines, { total: 4, matched: 2, ignored: 1, missed: 1, cut: 0 });
  assert.deepEqual(doc.matches.map((m) => [m.line, m.addr, m.time.slice(4), m.fields.user]),
    [[1, '192.0.2.1', '-11-21T05:09:37.000Z', 'bob'], [3, '2001:db8::7', '-11-21T05:09:39.000Z', 'alice']]);
});

test('a filter file path with arguments, --print-all-missed and --print-all-ignored', () => {
  const r = cli([log, `${join(dir, 'filter.d', 'app.conf')}[_daemon=CRON]`, '--print-all-missed', '--print-all-ignored']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /Lines: 4 lines, 0 ignored, 0 matched, 4 missed/);
  assert.match(r.stdout, /Missed line\(s\):\n\|  1: Nov 21 05:09:37 host app\[1\]/);
});

test('an inline regex on a single line, and on standard input with an extra ignoreregex', () => {
  const one = cli(['--json', 'Nov 21 05:09:37 gw kernel: bad packet from 203.0.113.5', 'bad packet from <HOST>$']);
  assert.equal(one.status, 0, one.stderr);
  assert.equal((JSON.parse(one.stdout) as { matches: Array<{ addr: string }> }).matches[0]?.addr, '203.0.113.5');
  const piped = cli(['--json', '-', 'login failed for \\S+ from <HOST>$', 'alice'], `${LOG}\n`);
  assert.equal(piped.status, 0, piped.stderr);
  const doc = JSON.parse(piped.stdout) as { lines: Record<string, number>; matches: Array<{ addr: string }> };
  assert.deepEqual(doc.matches.map((m) => m.addr), ['192.0.2.1', '198.51.100.9']);
  assert.equal(doc.lines.ignored, 1);
});

test('a regex that cannot be translated exits 3 naming it; a bad command line exits 2', () => {
  const bad = cli(['x', '(?P>r) <HOST>']);
  assert.equal(bad.status, 3);
  assert.match(bad.stderr, /\(\?P>r\) <HOST>.*recursion/);
  assert.equal(cli(['only-one-arg']).status, 2);
  assert.equal(cli(['--usedns', 'maybe', 'x', '<HOST>']).status, 2);
  const help = spawnSync('node', [CLI, 'test-filter', '--help'], { encoding: 'utf8' });
  assert.equal(help.status, 0);
  assert.match(help.stdout, /Usage: f2b-fw test-filter/);
});

test('test-filter reads a file in chunks like the daemon: CRLF, a last line without newline, invalid UTF-8, lines across chunk ends', () => {
  const dir = mkdtempSync(join(tmpdir(), 'f2b-tf-chunks-'));
  try {
    const file = join(dir, 'big.log');
    const fail = 'Nov 21 05:09:37 host sshd[1]: Failed password for root from 192.0.2.44 port 22 ssh2';
    // ~2.5 MiB: several 1 MiB reads, lines straddling their ends.
    const noise = 'Nov 21 05:09:37 host cron[2]: (root) CMD (run-parts /etc/cron.hourly) \xff\xfe';
    const lines: string[] = [];
    for (let i = 0; i < 30_000; i++) lines.push(i % 1000 === 7 ? `${fail}\r` : noise);
    writeFileSync(file, Buffer.concat([Buffer.from(lines.join('\n') + '\n', 'latin1'), Buffer.from(fail)]));
    const doc = JSON.parse(execFileSync('node', [CLI, 'test-filter', '--json', file, 'sshd'], { encoding: 'utf8' })) as { lines: { total: number; matched: number } };
    assert.equal(doc.lines.total, 30_001);
    assert.equal(doc.lines.matched, 31);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
