/**
 * Whole processes timed from the outside: wall time and the CPU time
 * (user + system) the process and its children used, read with bash's
 * `times` builtin after it waited for them. On a shared machine the CPU
 * time is the steadier figure; the wall time is what a user waits.
 */
import { spawnSync } from 'node:child_process';
import { median } from './stats.js';

/** One process run: wall and CPU seconds, and its exit status. */
export interface ProcessTime {
  readonly wallS: number;
  readonly cpuS: number;
  readonly status: number | null;
}

/** Typed failure of a timed process, with the command that failed. */
export class TimedProcessError extends Error {
  constructor(readonly argv: readonly string[], readonly status: number | null, stderr: string) {
    super(`${argv.join(' ')} exited ${status}: ${stderr.trim().split('\n').slice(-3).join(' | ')}`);
    this.name = 'TimedProcessError';
  }
}

const seconds = (m: string, s: string): number => Number(m) * 60 + Number(s);

/**
 * Runs `argv` (stdout discarded, in `env`) and times it; throws TimedProcessError unless it exits 0
 * (or `okStatus` says the status is fine: fail2ban-regex exits 0, test-filter may exit 1 with matches).
 */
export function timeProcess(argv: readonly string[], okStatus: (s: number | null) => boolean = (s) => s === 0, env: NodeJS.ProcessEnv = process.env): ProcessTime {
  const t0 = performance.now();
  // The command's output is dropped, its stderr kept for the error; `times` prints the shell's
  // own user/sys, then its children's ("0m1.234s 0m0.056s"), on the shell's stdout.
  const r = spawnSync('bash', ['-c', '"$@" >/dev/null; rc=$?; times; exit $rc', 'bash', ...argv], { encoding: 'utf8', maxBuffer: 1 << 24, env });
  const wallS = (performance.now() - t0) / 1000;
  if (!okStatus(r.status)) throw new TimedProcessError(argv, r.status, r.stderr ?? '');
  const lines = (r.stdout ?? '').trim().split('\n');
  const m = /(\d+)m([\d.]+)s\s+(\d+)m([\d.]+)s/.exec(lines[lines.length - 1] ?? '');
  const cpuS = m ? seconds(m[1]!, m[2]!) + seconds(m[3]!, m[4]!) : NaN;
  return { wallS, cpuS, status: r.status };
}

/** `runs` runs of `argv` (in `env`): the median wall and CPU time (ms). */
export function timeRepeated(argv: readonly string[], runs: number, env: NodeJS.ProcessEnv = process.env): { wallMs: number; cpuMs: number } {
  const all = Array.from({ length: runs }, () => timeProcess(argv, undefined, env));
  return { wallMs: median(all.map((t) => t.wallS)) * 1000, cpuMs: median(all.map((t) => t.cpuS)) * 1000 };
}
