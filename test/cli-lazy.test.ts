/**
 * CLI start-up (issue 12.4): only the command that runs is loaded. Client
 * commands (ping, status, ban…) load nothing native (koffi, better-sqlite3) and
 * no logger; commands that need the kernel or the store still get them, koffi
 * on its first use (native/koffi.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { pathToFileURL, fileURLToPath } from 'node:url';
import { CLI_ENTRY } from '../src/core/paths.js';

const PROBE = pathToFileURL(fileURLToPath(new URL('./support/native-probe.js', import.meta.url))).href;

function loaded(args: readonly string[]): string[] {
  const r = spawnSync(process.execPath, ['--import', PROBE, CLI_ENTRY, ...args], { encoding: 'utf8' });
  const m = /LOADED (\[.*\])/.exec(r.stderr);
  assert.ok(m, `probe output missing: ${r.stderr}`);
  return JSON.parse(m[1]!) as string[];
}

const NO_DAEMON = ['--socket', '/nonexistent/f2b-fw.sock'];

/** The project's own modules a CLI process loaded (dist/src/…, dist/native/…), from Node's ESM loader debug log. */
function ownModules(args: readonly string[]): string[] {
  const r = spawnSync(process.execPath, [CLI_ENTRY, ...args], { encoding: 'utf8', env: { ...process.env, NODE_DEBUG: 'esm' } });
  return [...new Set([...r.stderr.matchAll(/file:\/\/\S*?\/dist\/((?:src|native)\/[\w/.-]+?\.js)/g)].map((m) => m[1]!))].sort();
}

for (const args of [['ping'], ['status'], ['status', 'sshd'], ['ban', 'sshd', '192.0.2.7'], ['unban', 'sshd', '192.0.2.7'], ['banned'], ['reload'], ['--help'], ['version']]) {
  test(`f2b-fw ${args.join(' ')} loads no package (nothing native, no logger)`, () => {
    assert.deepEqual(loaded(args[0]!.startsWith('-') || args[0] === 'version' ? args : [...args, ...NO_DAEMON]), []);
  });
}

test('a client command given --socket loads no configuration loader; without it, f2b-fw.conf is read', () => {
  const withSocket = ownModules(['ping', ...NO_DAEMON]);
  assert.ok(withSocket.includes('src/control/client.js'), withSocket.join(' '));
  assert.deepEqual(withSocket.filter((m) => m.startsWith('src/config/') || m === 'src/cli/instance.js'), []);
  assert.ok(ownModules(['ping', '--config-dir', '/nonexistent']).includes('src/config/daemon-conf.js'));
});

test('check-config loads koffi only once it opens a netlink socket: a missing config fails before', () => {
  assert.ok(!loaded(['check-config', '--config-dir', '/nonexistent']).includes('koffi'));
});
