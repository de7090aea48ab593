/**
 * Runs a machine-lab script (packaging/build-deb.sh, test/machine-lab/run.sh) owned by this test
 * process: in a process group of its own, told our pid (F2B_LAB_OWNER: run.sh stops when we are
 * gone, even by SIGKILL), and stopped with its whole group on timeout, on our exit and on
 * SIGTERM/SIGINT/SIGHUP. Stopping waits until the script's own cleanup (containers, mounts,
 * namespaces, its run dir) is done, so nothing is left once this process has exited.
 */
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { onCleanup } from './cleanup.js';
import { PACKAGE_ROOT } from '../../src/core/paths.js';

/** How a script ended, with all it printed. */
export interface ScriptRun {
  readonly status: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** How long a stopped script may take for its cleanup before its group is killed outright. */
const STOP_GRACE_S = 60;

/**
 * Whether process group `pgid` has a member that is not a zombie. (The script itself stays a zombie
 * while this process blocks in an exit handler, unable to reap it: kill(-pgid, 0) would say "alive".)
 */
export function groupRunning(pgid: number): boolean {
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue;
    }
    const f = stat.slice(stat.lastIndexOf(') ') + 2).split(' ');
    if (Number(f[2]) === pgid && f[0] !== 'Z') return true;
  }
  return false;
}

/** SIGTERM to the group `pgid`, then waits (synchronously: exit handlers cannot wait otherwise) until it is gone. */
function stopGroup(pgid: number): void {
  try {
    process.kill(-pgid, 'SIGTERM');
  } catch {
    return; // already gone
  }
  const tick = new Int32Array(new SharedArrayBuffer(4));
  for (let i = 0; i < STOP_GRACE_S * 10 && groupRunning(pgid); i++) Atomics.wait(tick, 0, 0, 100);
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    /* ended by its cleanup */
  }
}

/** Options of {@link runOwned}. */
export interface RunOwnedOptions {
  /** Extra environment for the script. */
  readonly env?: Readonly<Record<string, string>>;
  /** Called with each chunk of its stdout as it arrives. */
  readonly onStdout?: (chunk: string) => void;
}

/** Starts `file args` in the repository root as its own process group leader; resolves when it ends. */
export function runOwned(file: string, args: readonly string[], timeoutMs: number, opts: RunOwnedOptions = {}): { pid: number; done: Promise<ScriptRun> } {
  const child = spawn(file, args, {
    cwd: PACKAGE_ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...opts.env, F2B_LAB_OWNER: String(process.pid) },
  });
  const pid = child.pid!;
  const release = onCleanup(() => stopGroup(pid));
  const timer = setTimeout(() => stopGroup(pid), timeoutMs);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => {
    stdout += c;
    opts.onStdout?.(c);
  });
  child.stderr.setEncoding('utf8').on('data', (c: string) => { stderr += c; });
  const done = new Promise<ScriptRun>((resolve) => {
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      release(); // its group may still hold a straggler: stopGroup ends it, or returns at once
      resolve({ status, signal, stdout, stderr });
    });
  });
  return { pid, done };
}
