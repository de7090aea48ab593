/**
 * `test-filter` over a big log file in two threads: the main thread tallies the first
 * part (MAIN_SHARE of the bytes), a worker (src/filter/tally-worker.ts) the rest, from
 * the first line after that byte, and the tallies are joined in line order. The report stays the one
 * a single thread writes. The filter state that crosses the split is its date
 * detector's (the template tried first, the last date, which dateless lines take), so
 * the worker's part is kept only when its fresh detector dated the part's first line
 * (not cut, a non-empty date) as the main thread's detector, at the end of the first
 * part, would have; otherwise the main thread tallies the rest itself.
 * Filters with more state (multi-line buffers, multi-line ids) and runs that do not
 * date every line are never split.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import type { RawSection } from '../config/types.js';
import type { Clock } from '../core/clock.js';
import { DEFAULTS, LIMITS, SOURCE_DEFAULTS } from '../core/defaults.js';
import { LineSplitter } from '../sources/line-splitter.js';
import { hasGroup } from './compile-regex.js';
import type { DatePeek } from './date-detector.js';
import type { CompiledFilter, FilterOptions } from './filter.js';
import { HITS_SHOWN } from './tally-report.js';
import { appendTally, Tallier, type Tally, type TallyKeep } from './tally.js';

/**
 * The main thread's share of the bytes: the worker starts ~0.1 s of CPU later (its thread, its
 * modules, its filter compiled; 1 M auth.log lines: ~0.85 s per thread at one half each).
 */
const MAIN_SHARE = 0.54;

/** The filter options a worker is sent: all but the clock (the system's in every thread) and a resolver. */
export type SentFilterOptions = Omit<FilterOptions, 'clock' | 'resolve'>;

/** A log file to tally, from `start` to `end` (bytes; Infinity: to its end). */
export interface RangeJob {
  readonly def: RawSection;
  readonly options: SentFilterOptions;
  readonly path: string;
  readonly start: number;
  readonly end: number;
  readonly keep: TallyKeep;
  /** The source name the lines carry. */
  readonly source: string;
  /** A worker sends back every hit (the JSON report lists them all); else the first HITS_SHOWN of each failregex, all the text report shows. */
  readonly allHits: boolean;
}

/** The tally of a range, with the filter's counters and date template hits the report shows. */
export interface RangeTally {
  readonly tally: Tally;
  /** Hits per date template, in DateDetector.stats order. */
  readonly dateHits: readonly number[];
  readonly cutLines: number;
  readonly futureDates: number;
  readonly slowLines: number;
  /** The range's first line and what the detector found in it before it; null when there was none or it was cut. */
  readonly first: { readonly text: string; readonly date: DatePeek | null } | null;
}

/** Reads bytes [start, end) of the file at `path` into `splitter` in large chunks (one reused buffer), synchronously, then flushes it. */
export function readRangeInto(path: string, start: number, end: number, splitter: LineSplitter, onChunk: () => void): void {
  const fd = openSync(path, 'r');
  try {
    const chunk = Buffer.allocUnsafe(SOURCE_DEFAULTS.readChunkBytes);
    for (let at = start, n; at < end && (n = readSync(fd, chunk, 0, Math.min(chunk.length, end - at), at)) > 0; at += n) {
      onChunk();
      splitter.feed(chunk.subarray(0, n));
    }
    splitter.flush();
  } finally {
    closeSync(fd);
  }
}

/** Tallies one range of a log with `filter` (its state carries on from earlier ranges). */
export function tallyRange(filter: CompiledFilter, clock: Clock, job: RangeJob): RangeTally {
  const tallier = new Tallier(filter, clock, job.keep, job.source);
  const cutBefore = filter.cutLines;
  let first: RangeTally['first'] = null;
  let lines = 0;
  // The daemon's splitter, so lines are cut (and never match) at the same byte.
  const splitter = new LineSplitter(LIMITS.lineBytes, (text, cut) => {
    const date = lines++ === 0 ? filter.dates.peek(text) : null;
    tallier.add(text, cut);
    if (lines === 1 && filter.cutLines === cutBefore) first = { text, date };
  });
  readRangeInto(job.path, job.start, job.end, splitter, () => tallier.chunkRead());
  return {
    tally: tallier.finish(),
    dateHits: filter.dates.stats.map((s) => s.hits),
    cutLines: filter.cutLines,
    futureDates: filter.futureDates,
    slowLines: filter.slowLines,
    first,
  };
}

/** `t` with the hits a worker sends back for `job` (a 50,000-hit copy between threads costs more than tallying them). */
export function sentTally(t: Tally, job: RangeJob): Tally {
  if (job.allHits) return t;
  const shown = t.regexHits.map(() => 0);
  return { ...t, hits: t.hits.filter((h) => shown[h.failregex]!++ < HITS_SHOWN) };
}

/** Whether a run's only state across lines is its date detector's (see the module comment). */
function splittable(filter: CompiledFilter, options: SentFilterOptions): boolean {
  return options.datesOfEveryLine === true && filter.maxlines === 1
    && ![filter.prefregex, ...filter.failregex, ...filter.ignoreregex].some((r) => r !== null && hasGroup(r, 'mlfid'));
}

/** Offset of the first line that starts after byte `from` of the file at `path` (`size` bytes long), or null when none does. */
function lineStartAfter(path: string, from: number, size: number): number | null {
  const fd = openSync(path, 'r');
  try {
    const chunk = Buffer.allocUnsafe(65_536);
    for (let at = from, n; (n = readSync(fd, chunk, 0, chunk.length, at)) > 0; at += n) {
      const nl = chunk.subarray(0, n).indexOf(0x0a);
      if (nl >= 0) return at + nl + 1 < size ? at + nl + 1 : null;
    }
    return null;
  } finally {
    closeSync(fd);
  }
}

/** The range tallied in a worker thread; null when the worker failed (the caller then tallies it itself). */
function rangeInWorker(job: RangeJob): Promise<RangeTally | null> {
  return new Promise((resolve) => {
    const worker = new Worker(new URL('./tally-worker.js', import.meta.url), { workerData: job });
    worker.once('message', (r: RangeTally) => resolve(r));
    worker.once('error', () => resolve(null));
    worker.once('exit', () => resolve(null));
  });
}

function sameDate(a: DatePeek | null, b: DatePeek): boolean {
  return a !== null && a.template === b.template && a.start === b.start && a.end === b.end;
}

/**
 * Tallies the log file `job.path` with `filter` (compiled from `job.def` and
 * `job.options`), in two threads when the file has at least `splitBytes` and the
 * filter allows (see the module comment). The tally and the filter's counters and
 * date hits end as one thread would leave them.
 */
export async function tallyFile(filter: CompiledFilter, clock: Clock, job: Omit<RangeJob, 'start' | 'end'>, splitBytes: number = DEFAULTS.testFilterSplitBytes): Promise<Tally> {
  const started = performance.now();
  const size = statSync(job.path).size;
  const mid = size >= splitBytes && splittable(filter, job.options) ? lineStartAfter(job.path, Math.floor(size * MAIN_SHARE), size) : null;
  const second = mid === null ? null : rangeInWorker({ ...job, start: mid, end: Infinity });
  const tally = tallyRange(filter, clock, { ...job, start: 0, end: mid ?? Infinity }).tally;
  if (second !== null) {
    const theirs = await second;
    if (theirs !== null && theirs.first?.date && theirs.first.date.end > theirs.first.date.start && sameDate(filter.dates.peek(theirs.first.text), theirs.first.date)) {
      appendTally(tally, theirs.tally);
      filter.dates.stats.forEach((s, i) => { s.hits += theirs.dateHits[i]!; });
      filter.cutLines += theirs.cutLines;
      filter.futureDates += theirs.futureDates;
      filter.slowLines += theirs.slowLines;
    } else {
      appendTally(tally, tallyRange(filter, clock, { ...job, start: mid!, end: Infinity }).tally);
    }
  }
  tally.seconds = (performance.now() - started) / 1000;
  return tally;
}
