/**
 * `test-filter` on a big file tallies its last part in a worker thread
 * (src/filter/tally-split.ts): the report must be the one a single thread writes,
 * whether the worker's part is kept (its first line dated as the main thread's
 * detector would have) or tallied again by the main thread (it was not). The log
 * interleaves every shipped sample log line by line, so date templates change often
 * and some lines carry no date; cut at many lengths, the split falls on lines of
 * every kind.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadFilterDefinition } from '../src/config/filter-load.js';
import { systemClock } from '../src/core/clock.js';
import { compileFilter } from '../src/filter/filter.js';
import { jsonReport, textReport } from '../src/filter/tally-report.js';
import { tallyFile, type SentFilterOptions } from '../src/filter/tally-split.js';
import { mixedSampleLines } from './support/sample-lines.js';

const OPTIONS: SentFilterOptions = { logtimezone: 'UTC', usedns: 'no', rawHosts: false, reportNofail: true, datesOfEveryLine: true };
const KEEP = { matched: true, missed: true, ignored: true };
let dir = '';

/** The mixed sample lines with, every 11th line, one longer than LIMITS.lineBytes (cut, never matched). */
function mixedLines(): string[] {
  return mixedSampleLines().flatMap((l, i) => (i % 11 === 0 ? [l, `Nov  1 00:00:0${i % 10} host sshd[1]: Invalid user ${'x'.repeat(5000)} from 192.0.2.7`] : [l]));
}

/** Both reports of `filter` over `log`, tallied in one thread or two; times read from the clock (dateless hits) blotted out. */
async function reports(filter: string, log: string, splitBytes: number): Promise<{ text: string; json: string }> {
  const started = Date.now();
  const def = loadFilterDefinition(dir, filter);
  const run = async (allHits: boolean): Promise<[ReturnType<typeof compileFilter>, Awaited<ReturnType<typeof tallyFile>>]> => {
    const f = compileFilter(def, { clock: systemClock, ...OPTIONS });
    return [f, await tallyFile(f, systemClock, { def, options: OPTIONS, path: log, keep: KEEP, source: log, allHits }, splitBytes)];
  };
  const info = { filter, log };
  const [tf, tt] = await run(false);
  tt.seconds = 0;
  const [jf, jt] = await run(true);
  jt.seconds = 0;
  for (const h of [...tt.hits, ...jt.hits]) if (h.time >= started) Object.assign(h, { time: 0 });
  return { text: textReport(tf, tt, info, { allMatched: true, allMissed: true, allIgnored: true }), json: jsonReport(jf, jt, info) };
}

before(() => { dir = mkdtempSync(join(tmpdir(), 'f2b-filter-split-')); });
after(() => rmSync(dir, { recursive: true, force: true }));

test('a log tallied in two threads reports exactly what one thread reports', async () => {
  const lines = mixedLines();
  let cases = 0;
  for (const n of [40, 97, 150, 211, 400, lines.length]) {
    const log = join(dir, `mixed-${n}.log`);
    writeFileSync(log, `${lines.slice(0, n).join('\n')}${n % 2 === 0 ? '\n' : ''}`);
    for (const filter of ['sshd', 'apache-auth', 'postfix']) {
      const one = await reports(filter, log, Infinity);
      const two = await reports(filter, log, 1);
      assert.equal(two.text, one.text, `${filter} on ${n} lines (text)`);
      assert.equal(two.json, one.json, `${filter} on ${n} lines (json)`);
      cases++;
    }
  }
  assert.equal(cases, 18);
});

test('a worker part that begins with dateless lines is tallied again by the main thread: they take the date before them', async () => {
  // Dated 10 s ago: the dateless lines after them take that date (under a minute old), which a
  // worker starting on them cannot know (it would give them their read time).
  const at = new Date(Date.now() - 10_000);
  const stamp = `${at.toUTCString().slice(8, 11)} ${String(at.getUTCDate()).padStart(2, ' ')} ${at.toISOString().slice(11, 19)}`;
  const dated = Array.from({ length: 100 }, (_, i) => `${stamp} web1 sshd[${i}]: Failed password for root from 192.0.2.${i % 250} port 22 ssh2`);
  const dateless = Array.from({ length: 300 }, (_, i) => `web1 sshd[${i}]: Failed password for root from 198.51.100.${i % 250} port 22 ssh2`);
  const log = join(dir, 'dateless-half.log');
  writeFileSync(log, `${[...dated, ...dateless].join('\n')}\n`);
  const one = await reports('sshd', log, Infinity);
  const two = await reports('sshd', log, 1);
  assert.match(one.json, new RegExp(`"addr":"198\\.51\\.100\\.199","time":"${at.toISOString().slice(0, 19)}`));
  assert.equal(two.text, one.text);
  assert.equal(two.json, one.json);
});
