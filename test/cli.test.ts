import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));

test('f2b-fw --help lists the commands and every command has --help', () => {
  const help = execFileSync('node', [CLI, '--help'], { encoding: 'utf8' });
  assert.match(help, /Usage: f2b-fw COMMAND/);
  const names = [...help.matchAll(/^ {2}(\S+) {2,}/gm)].map((m) => m[1]!);
  assert.ok(names.includes('version'));
  for (const name of names) {
    const r = spawnSync('node', [CLI, name, '--help'], { encoding: 'utf8' });
    assert.equal(r.status, 0, `${name} --help exits 0`);
    assert.match(r.stdout, /Usage: f2b-fw/, `${name} --help prints usage`);
  }
});

test('an unknown command exits 2 with a message', () => {
  const r = spawnSync('node', [CLI, 'frobnicate'], { encoding: 'utf8' });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /unknown command "frobnicate"/);
});

test('version --json is machine-readable', () => {
  const out = JSON.parse(execFileSync('node', [CLI, 'version', '--json'], { encoding: 'utf8' })) as { version: string };
  assert.match(out.version, /^\d+\.\d+\.\d+/);
});

test('a negative number is a value, not an option (set JAIL bantime -1)', () => {
  const r = spawnSync('node', [CLI, 'set', 'sshd', 'bantime', '-1', '--socket', '/nonexistent/f2b-fw.sock'], { encoding: 'utf8' });
  assert.doesNotMatch(r.stderr, /Unknown option/);
  assert.equal(r.status, 6, 'reaches the client, which finds no daemon');
});
