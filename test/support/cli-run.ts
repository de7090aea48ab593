/**
 * Runs the compiled `f2b-fw` CLI as a separate process, optionally as another
 * user (setpriv), asynchronously, so a control server in the test's own
 * process keeps answering while the client runs.
 */
import { spawn } from 'node:child_process';
import { CLI_ENTRY } from '../../src/core/paths.js';

/** What one CLI run produced. */
export interface CliRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `f2b-fw ARGS…`; with `as`, under that uid/gid and no supplementary groups. */
export function runCli(args: readonly string[], as?: { uid: number; gid: number }): Promise<CliRun> {
  const argv = as
    ? ['setpriv', `--reuid=${as.uid}`, `--regid=${as.gid}`, '--clear-groups', process.execPath, CLI_ENTRY, ...args]
    : [process.execPath, CLI_ENTRY, ...args];
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}
