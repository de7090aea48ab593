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
import { fetchFail2ban } from '../test/compat/samples.js';
import { generateAuthLog } from './auth-log.js';
import type { BenchFigure, BenchModule } from './types.js';

const LINES = 1_000_000;

function ours(lines: readonly string[], end: number, configDir: string): { rate: number; hits: number; seconds: number; examined: number } {
  const filter = compileFilter(loadFilterDefinition(configDir, 'sshd'), { clock: { now: () => end }, logtimezone: 'UTC' });
  for (const text of lines) filter.feed({ source: 'auth.log', text, readAt: end });
  let hits = 0;
  let examined = 0;
  const t0 = performance.now();
  for (let i = 0; i < lines.length; i++) {
    hits += filter.feed({ source: 'auth.log', text: lines[i]!, readAt: end }).length;
    if (filter.last.examined) examined++;
  }
  const seconds = (performance.now() - t0) / 1000;
  return { rate: lines.length / seconds, hits, seconds, examined };
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
  }
  return lines / ((performance.now() - t0) / 1000);
}

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
      const figures: BenchFigure[] = [{
        name: 'sshd filter, 1,000,000-line auth.log, one core',
        value: Math.round(r.rate),
        unit: 'lines/s',
        target: '≥ 1,000,000 lines/s',
        ...(typeof f2b === 'number' ? { compare: { label: 'fail2ban-regex (fail2ban 1.0.2, its sshd filter)', value: Math.round(f2b) } } : {}),
      }];
      return {
        title: 'Filter throughput (sshd)',
        command: 'npm run bench -- filter',
        figures,
        notes: [
          `${LINES.toLocaleString('en')} generated syslog lines, ${log.failures.toLocaleString('en')} sshd failures (IPv4 and IPv6); ${r.hits.toLocaleString('en')} hits found; ${r.examined.toLocaleString('en')} lines passed the literal prefilter; ${r.seconds.toFixed(2)} s, measured on a second pass over the file (the first warms up the JIT, as a long-running daemon is).`,
          'Per line: a literal prefilter derived from the failregexes (one RegExp test), then date detection, prefregex and failregexes only for candidate lines; a Line record is built per line as a source would.',
          typeof f2b === 'number' ? 'fail2ban-regex runs on the same file from the unpacked Debian package (python3), including its start-up.' : `fail2ban-regex: ${f2b}`,
        ],
      };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
