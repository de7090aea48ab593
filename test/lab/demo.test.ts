import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { CLI_ENTRY } from '../../src/core/paths.js';
import { hostFirewallSnapshot } from '../support/netns.js';

const NOBODY = ['--reuid=65534', '--regid=65534', '--clear-groups'];

/** Why an unprivileged user cannot run the checkout here, or null when it can. */
function unprivilegedProblem(): string | null {
  const r = spawnSync('setpriv', [...NOBODY, 'unshare', '-r', '-n', process.execPath, CLI_ENTRY, 'version'], { encoding: 'utf8' });
  if (r.error) return `setpriv/unshare unavailable: ${r.error.message}`;
  if (r.status !== 0) return `nobody cannot run ${CLI_ENTRY} in a user namespace here: ${r.stderr.trim()}`;
  return null;
}

test('f2b-fw demo runs as an unprivileged user (user + network namespace) and leaves the host alone', (t) => {
  const problem = unprivilegedProblem();
  if (problem) {
    t.skip(problem);
    return;
  }
  const before = hostFirewallSnapshot();
  const r = spawnSync('setpriv', [...NOBODY, process.execPath, CLI_ENTRY, 'demo', '--json', '--bantime', '20'], {
    encoding: 'utf8', cwd: '/', timeout: 240_000,
  });
  assert.equal(r.status, 0, `demo exit ${r.status}: ${r.stderr}`);
  const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { step: string; ok: boolean; detail: string });
  assert.ok(events.every((e) => e.ok), 'every step held');
  for (const step of ['3. the attacker is banned', '3. forwarded service closed to the attacker', '4. f2b-fw repairs its table', '5. the ban expires']) {
    assert.ok(events.some((e) => e.step === step), `demo showed "${step}"`);
  }
  assert.ok(events.some((e) => /\] Ban 198\.51\.100\.2/.test(e.detail)), 'the daemon\'s own Ban line is shown');
  assert.equal(hostFirewallSnapshot(), before, 'the host firewall is untouched');
});
