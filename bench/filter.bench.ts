/**
 * Filter throughput: lines per second through the shipped sshd filter
 * (rules/filter.d/sshd.conf) on a generated 1,000,000-line auth.log (90 %
 * noise, 10 % failures, IPv4 and IPv6), one core, in this process. Side by
 * side: fail2ban's own `fail2ban-regex` with fail2ban's sshd filter on the
 * same file, run from Debian's fail2ban package unpacked (not installed).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { loadFilterDefinition } from '../src/config/filter-load.js';
import { compileFilter } from '../src/filter/filter.js';
import { BACKTRACKS_BEFORE_FALLBACK } from '../src/filter/guard.js';
import { LIMITS } from '../src/core/defaults.js';
import { fetchFail2ban, removeFail2ban } from '../test/compat/samples.js';
import { generateAuthLog } from './auth-log.js';
import type { BenchFigure, BenchModule } from './types.js';

const LINES = 1_000_000;

const PASSES = 3;

/** Lines/s of our sshd filter: one warm-up pass, then the median of PASSES timed passes. */
function ours(lines: readonly string[], end: number, configDir: string): { rate: number; hits: number; seconds: number; examined: number } {
  const filter = compileFilter(loadFilterDefinition(configDir, 'sshd'), { clock: { now: () => end }, logtimezone: 'UTC' });
  for (const text of lines) filter.feed({ source: 'auth.log', text, readAt: end });
  const runs: Array<{ seconds: number; hits: number; examined: number }> = [];
  for (let pass = 0; pass < PASSES; pass++) {
    let hits = 0;
    let examined = 0;
    const t0 = performance.now();
    for (let i = 0; i < lines.length; i++) {
      hits += filter.feed({ source: 'auth.log', text: lines[i]!, readAt: end }).length;
      if (filter.last.examined) examined++;
    }
    runs.push({ seconds: (performance.now() - t0) / 1000, hits, examined });
  }
  const median = runs.sort((a, b) => a.seconds - b.seconds)[PASSES >> 1]!;
  return { rate: lines.length / median.seconds, ...median };
}

/** A failregex with nested quantifiers and a line crafted to make it backtrack exponentially. */
const EVIL_REGEX = String.raw`^auth failure for (?:\w+\s?)+ from <HOST>$`;
const EVIL_LINE = `auth failure for ${'a'.repeat(32)}!`;
const UNGUARDED_LIMIT_MS = 10_000;

/** ms to feed the crafted line through our filter (linear-engine fallback on). */
function guardedMs(): { ms: number; source: string } {
  const def = { name: 'evil', settings: new Map([['failregex', { value: EVIL_REGEX, pos: { file: 'evil.conf' } }]]) };
  const filter = compileFilter(def, { clock: { now: () => Date.now() } });
  const t0 = performance.now();
  filter.feed({ source: 'crafted', text: EVIL_LINE, readAt: Date.now() });
  return { ms: performance.now() - t0, source: filter.failregex[0]!.re.source };
}

/** ms for the same JavaScript regex in a Node process without the fallback (killed at the limit). */
function unguardedMs(source: string): number {
  const script = `new RegExp(${JSON.stringify(source)}).test(${JSON.stringify(EVIL_LINE)})`;
  const t0 = performance.now();
  try {
    execFileSync(process.execPath, ['-e', script], { stdio: 'ignore', timeout: UNGUARDED_LIMIT_MS });
  } catch {
    return UNGUARDED_LIMIT_MS;
  }
  return performance.now() - t0;
}

/** fail2ban-regex's lines/s on `file`, or the reason it could not run. */
function fail2banRegex(file: string, lines: number): number | string {
  const tree = fetchFail2ban();
  if (typeof tree === 'string') return tree;
  const root = dirname(dirname(tree.configDir));
  const t0 = performance.now();
  try {
    execFileSync('python3', [join(root, 'usr/bin/fail2ban-regex'), file, join(tree.configDir, 'filter.d/sshd.conf')], {
      env: { ...process.env, PYTHONPATH: join(root, 'usr/lib/python3/dist-packages'), TZ: 'UTC' },
      stdio: 'ignore', timeout: 900_000,
    });
  } catch (e) {
    return `fail2ban-regex failed: ${(e as Error).message.split('\n')[0]}`;
  } finally {
    removeFail2ban(tree);
  }
  return lines / ((performance.now() - t0) / 1000);
}

/** The `filter` benchmark module. */
export const bench: BenchModule = {
  name: 'filter',
  async run() {
    process.env.TZ = 'UTC';
    const dir = mkdtempSync(join(tmpdir(), 'f2b-bench-filter-'));
    try {
      const log = generateAuthLog(LINES);
      const file = join(dir, 'auth.log');
      writeFileSync(file, `${log.lines.join('\n')}\n`);
      // Lines as a file source hands them over: slices of one decoded chunk.
      const lines = readFileSync(file, 'utf8').split('\n');
      lines.pop();
      const r = ours(lines, log.end, dir);
      const f2b = fail2banRegex(file, LINES);
      const guarded = guardedMs();
      const unguarded = unguardedMs(guarded.source);
      const figures: BenchFigure[] = [{
        name: 'sshd filter, 1,000,000-line auth.log, one core',
        value: Math.round(r.rate),
        unit: 'lines/s',
        target: '≥ 1,000,000 lines/s',
        ...(typeof f2b === 'number' ? { compare: { label: 'fail2ban-regex (fail2ban 1.0.2, its sshd filter)', value: Math.round(f2b) } } : {}),
      }, {
        name: 'crafted catastrophic-backtracking line, one feed',
        value: Math.round(guarded.ms * 100) / 100,
        unit: 'ms',
        target: `≤ ${LIMITS.matchBudgetMs} ms (LIMITS.matchBudgetMs)`,
        compare: { label: `same regex, V8 without the linear fallback${unguarded >= UNGUARDED_LIMIT_MS ? ' (killed at the limit)' : ''}`, value: Math.round(unguarded) },
      }];
      return {
        title: 'Filter throughput (sshd)',
        command: 'npm run bench -- filter',
        figures,
        notes: [
          `${LINES.toLocaleString('en')} generated syslog lines, ${log.failures.toLocaleString('en')} sshd failures (IPv4 and IPv6); ${r.hits.toLocaleString('en')} hits found; ${r.examined.toLocaleString('en')} lines passed the literal prefilter; median of ${PASSES} timed passes ${r.seconds.toFixed(2)} s, after one warm-up pass (JIT, as in a long-running daemon); the machine is shared, so figures vary with its load.`,
          'Per line: a literal prefilter derived from the failregexes (one RegExp test), then date detection, prefregex and failregexes only for candidate lines; a Line record is built per line as a source would.',
          `Backtracking defence: failregex ${JSON.stringify(EVIL_REGEX)} against ${JSON.stringify(EVIL_LINE)}; the guarded figure includes V8's switch to its linear-time engine after ${BACKTRACKS_BEFORE_FALLBACK.toLocaleString('en')} backtracks.`,
          typeof f2b === 'number' ? 'fail2ban-regex runs on the same file from the unpacked Debian package (python3), including its start-up.' : `fail2ban-regex: ${f2b}`,
        ],
      };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
