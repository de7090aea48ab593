/**
 * A reader that closes the CLI's stdout early (`f2b-fw status | head -1`,
 * `f2b-fw reload | head -1`): the CLI exits quietly, no EPIPE stack (issue 10.7).
 * The read end is closed before the child can write, so the write always fails.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { CLI_ENTRY } from '../src/core/paths.js';
import { DaemonHarness, jailSection } from './support/daemon-harness.js';

function closedStdout(args: readonly string[]): Promise<{ status: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI_ENTRY, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (c: string) => { stderr += c; });
    child.on('close', (status) => resolve({ status, stderr }));
  });
}

describe('CLI with a closed stdout', () => {
  let d: DaemonHarness;
  before(async () => {
    d = new DaemonHarness('clipipe', '');
    d.touch(d.path('a.log'));
    d.config.write('jail.local', jailSection('alpha', d.path('a.log')));
    await d.start();
  });
  after(async () => { await d.destroy(); });

  for (const cmd of [['--help'], ['status'], ['reload'], ['status', 'alpha']]) {
    it(`f2b-fw ${cmd.join(' ')} exits quietly`, async () => {
      const r = await closedStdout(cmd[0] === '--help' ? cmd : [...cmd, '--socket', d.socket]);
      assert.doesNotMatch(r.stderr, /EPIPE|Error/);
      assert.equal(r.stderr, '');
      assert.equal(r.status, 0);
    });
  }
});
