/**
 * An unusable logtarget never stops or hangs the daemon: one warning line that
 * names the path, then logging goes on to stdout. Each case runs the logger in
 * a child process (as `nobody` where permissions matter) with a bounded wait.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { READ_ANY } from './support/cli-run.js';

const LOG_MODULE = new URL('../src/core/log.js', import.meta.url).href;
const dir = mkdtempSync(join(tmpdir(), 'f2bt-logtarget-'));
chmodSync(dir, 0o755);
after(() => rmSync(dir, { recursive: true, force: true }));

/** Logs one line through createLogger with `target`; returns the child's stdout lines (JSON). */
function logOnce(target: string, uid?: number): { status: number | null; lines: Record<string, unknown>[]; stderr: string } {
  const script = `import { createLogger } from ${JSON.stringify(LOG_MODULE)};
const log = createLogger({ level: 'info', target: ${JSON.stringify(target)}, pretty: false });
log.info('after the warning');
setTimeout(() => process.exit(0), 100);`;
  // As another user through setpriv with READ_ANY: node and the module are read from the checkout
  // wherever it is (a fresh machine's /root is mode 700).
  const node = [process.execPath, '--input-type=module', '-e', script];
  const argv = uid === undefined ? node : ['setpriv', `--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', ...READ_ANY, ...node];
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout: 10_000 });
  const lines = r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
  return { status: r.status, lines, stderr: r.stderr };
}

function assertWarnedAndGoesOn(r: ReturnType<typeof logOnce>, target: string): void {
  assert.equal(r.status, 0, `exit ${r.status}: ${r.stderr}`);
  assert.equal(r.stderr, '', 'no stack trace');
  assert.equal(r.lines.length, 2, JSON.stringify(r.lines));
  assert.equal(r.lines[0]!.level, 40);
  assert.equal(r.lines[0]!.target, target);
  assert.ok(String(r.lines[0]!.msg).startsWith(`cannot write the log file ${target} (`), String(r.lines[0]!.msg));
  assert.equal(r.lines[1]!.msg, 'after the warning');
}

test('a logtarget in a directory the user may not write (nobody, like a read-only /var/log): one warning naming the path', () => {
  const target = join(dir, 'sub', 'f2b-fw.log');
  const r = logOnce(target, 65534);
  assertWarnedAndGoesOn(r, target);
  assert.ok(!existsSync(join(dir, 'sub')));
});

test('a logtarget whose parent is a file, or under /proc, is reported without hanging', () => {
  writeFileSync(join(dir, 'plain'), '');
  for (const target of [join(dir, 'plain', 'f2b-fw.log'), '/proc/f2bt-nope/f2b-fw.log']) assertWarnedAndGoesOn(logOnce(target), target);
});

test('a missing last directory (/var/log/f2b-fw outside systemd) is created and the file gets the lines', () => {
  const target = join(dir, 'f2b-fw', 'f2b-fw.log');
  const r = logOnce(target);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.lines.length, 1);
  assert.match(readFileSync(target, 'utf8'), /"msg":"after the warning"/);
});
