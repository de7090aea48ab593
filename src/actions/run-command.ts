/**
 * Runs one action command: `/bin/sh -c SCRIPT` in a process group of its own, the ban's values in
 * the environment (never in the script), output captured up to a bound. At the timeout the whole
 * group gets SIGTERM, and SIGKILL a grace period later, so a hanging command (and whatever it
 * started) never blocks the next one.
 */
import { spawn as nodeSpawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import type { Timers } from '../core/clock.js';
import type { ShellCommand } from './tags.js';

/** Process start: child_process.spawn, or a wrapper (tests run commands inside a namespace). */
export type Spawn = (cmd: string, args: readonly string[], options: SpawnOptions) => ChildProcess;

/** Defaults of command runs. */
export const COMMAND_DEFAULTS = {
  /** fail2ban's default action timeout (s). */
  timeoutSec: 60,
  /** Between SIGTERM and SIGKILL of the group (ms). */
  killGraceMs: 2_000,
  /** Output kept per run (bytes, stdout and stderr together). */
  outputBytes: 16_384,
} as const;

/** How one run ended. */
export interface CommandResult {
  /** Exit code (null when killed by a signal). */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** True when the timeout struck. */
  readonly timedOut: boolean;
  /** Start failure (sh missing…), if any. */
  readonly error?: string;
  /** The first `outputBytes` of stdout+stderr, as text. */
  readonly output: string;
  /** True when output was cut. */
  readonly truncated: boolean;
  readonly ms: number;
}

/** Options of one run. */
export interface RunOptions {
  readonly timeoutMs: number;
  readonly timers: Timers;
  readonly now: () => number;
  readonly spawn?: Spawn;
  readonly killGraceMs?: number;
  readonly outputBytes?: number;
}

/** True when the run succeeded (exit 0, no timeout). */
export function succeeded(r: CommandResult): boolean {
  return r.code === 0 && !r.timedOut && r.error === undefined;
}

/** One line describing a failed run: exit code or signal, timeout, start error. */
export function describeFailure(r: CommandResult): string {
  if (r.error !== undefined) return `could not start: ${r.error}`;
  if (r.timedOut) return `timed out after ${r.ms} ms (process group killed)`;
  return r.signal ? `killed by ${r.signal}` : `exit code ${r.code}`;
}

/** Runs `cmd` and resolves when it has ended (never rejects). */
export function runCommand(cmd: ShellCommand, o: RunOptions): Promise<CommandResult> {
  const started = o.now();
  const limit = o.outputBytes ?? COMMAND_DEFAULTS.outputBytes;
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let truncated = false;
    let timedOut = false;
    let finished = false;
    const timers: unknown[] = [];
    let child: ChildProcess;
    const group = (signal: NodeJS.Signals): void => {
      try { if (child?.pid !== undefined) process.kill(-child.pid, signal); } catch { /* already gone */ }
    };
    const finish = (code: number | null, signal: NodeJS.Signals | null, error?: string): void => {
      if (finished) return;
      finished = true;
      for (const t of timers) o.timers.clearTimeout(t);
      if (timedOut) group('SIGKILL'); // what ignored SIGTERM in the group goes now
      child?.stdout?.destroy();
      child?.stderr?.destroy();
      resolve({
        code, signal, timedOut, output: Buffer.concat(chunks).toString('utf8'), truncated, ms: o.now() - started,
        ...(error === undefined ? {} : { error }),
      });
    };
    try {
      child = (o.spawn ?? nodeSpawn)('/bin/sh', ['-c', cmd.script], {
        detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...cmd.env },
      });
    } catch (e) {
      finish(null, null, (e as Error).message);
      return;
    }
    const collect = (d: Buffer): void => {
      if (size >= limit) { truncated = true; return; }
      const part = d.subarray(0, limit - size);
      if (part.length < d.length) truncated = true;
      chunks.push(part);
      size += part.length;
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    child.on('error', (e) => finish(null, null, e.message));
    child.on('close', (code, signal) => finish(code, signal));
    // A grandchild that kept the pipes open must not keep the run alive once sh has exited.
    child.on('exit', (code, signal) => { timers.push(o.timers.setTimeout(() => finish(code, signal), 1_000)); });
    timers.push(o.timers.setTimeout(() => {
      timedOut = true;
      group('SIGTERM');
      timers.push(o.timers.setTimeout(() => group('SIGKILL'), o.killGraceMs ?? COMMAND_DEFAULTS.killGraceMs));
    }, o.timeoutMs));
  });
}
