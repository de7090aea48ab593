/**
 * `test-filter` runs the daemon's literal prefilter but still detects the date
 * of every line (`datesOfEveryLine`): its report must be exactly what it was
 * with no prefilter at all. Every shipped filter is fed the lines of every
 * shipped sample log (so most lines are rejected by the prefilter, with dates
 * of many templates and some without any); per line the hits and the outcome,
 * at the end the date template counts, must be the same in both modes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadFilterDefinition } from '../src/config/filter-load.js';
import { RULES_DIR } from '../src/core/paths.js';
import { compileFilter, type CompiledFilter, type FilterOptions } from '../src/filter/filter.js';

const SAMPLES = join(RULES_DIR, 'samples');
const NOW = Date.UTC(2026, 0, 1);

/** Every sample line, the files interleaved line by line (so templates change often), plus dateless lines. */
function mixedLines(): string[] {
  const files = readdirSync(SAMPLES).filter((f) => f.endsWith('.log')).sort()
    .map((f) => readFileSync(join(SAMPLES, f), 'utf8').split('\n').filter((l) => l !== '' && !l.startsWith('#')));
  const out: string[] = [];
  for (let i = 0; files.some((f) => i < f.length); i++) {
    for (const f of files) if (i < f.length) out.push(f[i]!);
    if (i % 7 === 0) out.push('a line without any date from 192.0.2.9');
  }
  return out;
}

function filterOf(name: string, options: Partial<FilterOptions>): CompiledFilter {
  return compileFilter(loadFilterDefinition('/nonexistent', name), { clock: { now: () => NOW }, rawHosts: true, reportNofail: true, ...options });
}

const filters = readdirSync(join(RULES_DIR, 'filter.d')).filter((f) => f.endsWith('.conf')).map((f) => f.slice(0, -5))
  .filter((name) => existsSync(join(SAMPLES, `${name}.log`)));

test('there are shipped filters with samples to compare', () => {
  assert.ok(filters.length >= 10, `filters with samples: ${filters.join(', ')}`);
});

test('datesOfEveryLine with the prefilter reports what no prefilter reports, line by line', () => {
  const lines = mixedLines();
  let rejected = 0;
  for (const name of filters) {
    const all = filterOf(name, { noPrefilter: true });
    const pre = filterOf(name, { datesOfEveryLine: true });
    lines.forEach((text, i) => {
      const line = { source: 'mixed.log', text, readAt: NOW - 1000 };
      const a = all.feed(line);
      const b = pre.feed(line);
      if (!pre.last.examined) rejected++;
      const where = `${name}, line ${i + 1}: ${text}`;
      assert.deepEqual(b, a, where);
      assert.equal(pre.last.failregex, all.last.failregex, where);
      assert.equal(pre.last.ignoreregex, all.last.ignoreregex, where);
      if (pre.last.examined) {
        // A rejected line's date is only counted (last.date null); an examined line's is found.
        assert.equal(pre.last.date?.start, all.last.date?.start, where);
        assert.equal(pre.last.date?.template.name, all.last.date?.template.name, where);
      }
    });
    assert.deepEqual(pre.dates.stats.map((s) => s.hits), all.dates.stats.map((s) => s.hits), name);
    assert.ok(all.failregex.length > 0 && pre.prefilter !== null, `${name} has a prefilter`);
  }
  assert.ok(rejected > lines.length, `the prefilter rejected ${rejected} lines: the comparison covers rejected lines`);
});

test('a dateless failure takes the date of the rejected line before it, though that date was only counted', () => {
  const settings = new Map([['failregex', { value: '^dateless failure from <HOST>$', pos: { file: 'test', key: 'failregex' } }]]);
  const def = { name: 'dateless', settings };
  const now = Date.UTC(2026, 10, 1, 10, 0, 45);
  const lines = [
    'Nov  1 10:00:00 web1 cron[1]: noise',
    'Nov  1 10:00:30 web1 cron[2]: noise',
    'dateless failure from 192.0.2.1',
    'Nov  1 10:00:40 web1 cron[3]: noise',
    'dateless failure from 192.0.2.2',
  ];
  const times: number[][] = [];
  for (const options of [{ noPrefilter: true }, { datesOfEveryLine: true }]) {
    const f = compileFilter(def, { clock: { now: () => now }, logtimezone: 'UTC', ...options });
    times.push(lines.flatMap((text) => f.feed({ source: 'test.log', text, readAt: now }).map((h) => h.time)));
    assert.deepEqual(f.dates.stats.filter((s) => s.hits > 0).map((s) => s.hits), [3]);
  }
  assert.deepEqual(times[1], [Date.UTC(2026, 10, 1, 10, 0, 30), Date.UTC(2026, 10, 1, 10, 0, 40)]);
  assert.deepEqual(times[1], times[0]);
});
