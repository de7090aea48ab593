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

/**
 * The other user keeps one capability, CAP_DAC_READ_SEARCH: it reads the program wherever the
 * checkout is (a fresh machine's is /root/f2b-fw, and /root is mode 700: node then found no
 * dist/src/cli/main.js and four control tests failed). It grants no write: connecting to a Unix
 * socket needs write permission on it, and the server judges the peer by its uid and gid.
 */
export const READ_ANY = ['--inh-caps=-all,+dac_read_search', '--ambient-caps=-all,+dac_read_search'];

/** Runs `f2b-fw ARGS…`; with `as`, under that uid/gid and no supplementary groups. */
export function runCli(args: readonly string[], as?: { uid: number; gid: number }): Promise<CliRun> {
  const argv = as
    ? ['setpriv', `--reuid=${as.uid}`, `--regid=${as.gid}`, '--clear-groups', ...READ_ANY, process.execPath, CLI_ENTRY, ...args]
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
