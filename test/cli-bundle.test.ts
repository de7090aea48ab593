/**
 * The esbuild bundle (dist/bundle, `npm run build`; its f2b-fw.cjs is what
 * package.json `bin` and the .deb's /usr/bin/f2b-fw run) works like the tsc tree: its paths resolved
 * from the module's own file (package.json for the version, rules/ for the
 * shipped filters, the regex watchdog's worker script) and the lazily loaded
 * command chunks. Correctness only; the start-up figures are in bench/cli.bench.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUNDLE_ENTRY, CLI_ENTRY, PACKAGE_ROOT } from '../src/core/paths.js';
import { tempConfigDir } from './support/config-files.js';
import { jailSection, TEST_FILTER, type LogEntry } from './support/daemon-harness.js';
import { waitFor } from './support/netns.js';

const VERSION = (JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }).version;

function bundled(args: readonly string[]): { status: number | null; stdout: string; stderr: string } {
  assert.ok(existsSync(BUNDLE_ENTRY), `${BUNDLE_ENTRY} missing: run npm run build`);
  return spawnSync(process.execPath, [BUNDLE_ENTRY, ...args], { encoding: 'utf8' });
}

test('the bundled CLI prints its help and the package version', () => {
  const help = bundled(['--help']);
  assert.equal(help.status, 0, help.stderr);
  assert.match(help.stdout, /^Usage: f2b-fw COMMAND/);
  assert.match(help.stdout, /test-filter/);
  const version = bundled(['--version']);
  assert.equal(version.status, 0, version.stderr);
  assert.equal(version.stdout, `f2b-fw ${VERSION}\n`);
});

/** The ES modules Node's loader fetched for one run of the bin (NODE_DEBUG=esm), as file names. */
function esModules(args: readonly string[]): string[] {
  const r = spawnSync(process.execPath, [BUNDLE_ENTRY, ...args], { encoding: 'utf8', env: { ...process.env, NODE_DEBUG: 'esm' } });
  return [...new Set([...r.stderr.matchAll(/file:\/\/\S*?\/dist\/bundle\/([\w.-]+\.js)/g)].map((m) => m[1]!))];
}

test('the bin runs client commands from its own file, with or without f2b-fw.conf; every other command through main.js', () => {
  const cfg = tempConfigDir({ 'f2b-fw.conf': '[Definition]\nsocket = /nonexistent/f2b-fw.sock\n' });
  try {
    for (const args of [['ping', '--socket', '/nonexistent/f2b-fw.sock'], ['status', '--config-dir', cfg.dir], ['ban', 'sshd', '192.0.2.7', '--config-dir', cfg.dir]]) {
      assert.deepEqual(esModules(args), [], args.join(' '));
      assert.match(bundled(args).stderr, /no f2b-fw daemon is running: control socket \/nonexistent\/f2b-fw\.sock/, args.join(' '));
    }
    assert.ok(esModules(['--help']).includes('main.js'));
  } finally {
    cfg.remove();
  }
});

test('the bin and the tsc tree\'s main.js run once through a symlink named f2b-fw (npm\'s bin link)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'f2b-bin-'));
  try {
    for (const target of [BUNDLE_ENTRY, CLI_ENTRY]) {
      const link = join(dir, 'f2b-fw');
      rmSync(link, { force: true });
      symlinkSync(target, link);
      const r = spawnSync(process.execPath, [link, '--version'], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, `f2b-fw ${VERSION}\n`, target);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the bundled test-filter finds a shipped filter in rules/ and matches with it', () => {
  const cfg = tempConfigDir();
  try {
    const log = cfg.write('auth.log', 'Dec  2 10:00:00 host sshd[1]: Failed password for root from 192.0.2.44 port 22 ssh2\n');
    const r = bundled(['test-filter', log, 'sshd', '--config-dir', cfg.dir]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /shipped rules/);
    assert.match(r.stdout, /192\.0\.2\.44/);
  } finally {
    cfg.remove();
  }
});

test('the bundled daemon runs on the null backend (filter in its worker thread), bans, and answers the bundled ping', async () => {
  const cfg = tempConfigDir({ 'filter.d/f2btest.conf': TEST_FILTER });
  const log = cfg.write('auth.log', '');
  cfg.write('jail.local', jailSection('sshd', log));
  const socket = join(cfg.dir, 'f2b.sock');
  const child = spawn(process.execPath, [BUNDLE_ENTRY, 'run', '--backend', 'null', '--config-dir', cfg.dir, '--db', join(cfg.dir, 'f2b.sqlite3'),
    '--socket', socket, '--pidfile', join(cfg.dir, 'f2b.pid'), '--logtarget', 'STDOUT'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const logs: LogEntry[] = [];
  let stderr = '';
  let buf = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => {
    buf += c;
    const lines = buf.split('\n');
    buf = lines.pop()!;
    for (const l of lines) { try { logs.push(JSON.parse(l) as LogEntry); } catch { /* not JSON */ } }
  });
  child.stderr.setEncoding('utf8').on('data', (c: string) => { stderr += c; });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  try {
    assert.ok(await waitFor(() => child.exitCode !== null || logs.some((l) => l.event === 'ready'), 20_000, 25), `not ready: ${stderr}`);
    assert.equal(child.exitCode, null, stderr);
    cfg.write('auth.log', 'FAIL login from 192.0.2.45\n');
    assert.ok(await waitFor(() => logs.some((l) => l.event === 'dry-run-block' && l.addr === '192.0.2.45'), 20_000, 25), `no ban: ${stderr}`);
    const ping = bundled(['ping', '--socket', socket]);
    assert.equal(ping.status, 0, ping.stderr);
    assert.match(ping.stdout, /pong/);
  } finally {
    child.kill('SIGTERM');
    assert.equal(await exited, 0, stderr);
    cfg.remove();
  }
});
