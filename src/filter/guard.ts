/**
 * Defence against catastrophic backtracking (a crafted log line making a
 * filter regex run for seconds). V8 can switch a regex to its linear-time
 * (breadth-first) engine once a match has backtracked too often; Node 20's V8
 * supports that for regexes without back-references, lookarounds and the `i`
 * flag (the translator never emits `i`). The flags are process-wide and must
 * be set before the regexes are compiled; `compileFilter` calls this first.
 * Regexes the linear engine cannot run are reported (`linear: false`) so
 * `test-filter` can name them; lines are also capped at LIMITS.lineBytes.
 */
import { setFlagsFromString } from 'node:v8';

/** Backtracks a match may make before V8 re-runs it on the linear engine. */
export const BACKTRACKS_BEFORE_FALLBACK = 10_000;

let enabled = false;

/** Turns the linear-engine fallback on (idempotent). */
export function enableBacktrackGuard(): void {
  if (enabled) return;
  setFlagsFromString('--enable-experimental-regexp-engine');
  setFlagsFromString('--enable-experimental-regexp-engine-on-excessive-backtracks');
  setFlagsFromString(`--regexp-backtracks-before-fallback=${BACKTRACKS_BEFORE_FALLBACK}`);
  enabled = true;
}

/** True when V8's linear engine can take over `source` (no back-references, lookarounds, `i`). */
export function linearEligible(source: string, flags: string): boolean {
  enableBacktrackGuard();
  try {
    new RegExp(source, `${flags.replace('l', '')}l`);
    return true;
  } catch {
    return false;
  }
}
