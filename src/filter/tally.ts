/**
 * Running a filter over a whole log and counting what happened, as
 * `fail2ban-regex` reports it: hits per failregex (with addresses and
 * times), ignoreregex hits, date template hits, matched / ignored / missed
 * lines, elapsed time. Used by `f2b-fw test-filter`.
 */
import type { Clock } from '../core/clock.js';
import type { CompiledFilter, FilterHit } from './filter.js';

/** One hit with the line it came from. */
export interface TallyHit extends FilterHit {
  /** 1-based line number in the log. */
  readonly line: number;
}

/** A line that was ignored or missed, kept when asked for. */
export interface TallyLine { readonly line: number; readonly text: string }

/** The outcome of a run. */
export interface Tally {
  lines: number;
  matched: number;
  ignored: number;
  missed: number;
  readonly failregexHits: number[];
  readonly ignoreregexHits: number[];
  readonly hits: TallyHit[];
  readonly matchedLines: TallyLine[];
  readonly missedLines: TallyLine[];
  readonly ignoredLines: TallyLine[];
  seconds: number;
}

/** Which lines to keep in the tally besides the hits. */
export interface TallyKeep { readonly matched: boolean; readonly missed: boolean; readonly ignored: boolean }

/** Feeds `lines` (any iterable of texts) through `filter`, timing the run with `clock`. */
export function tallyLines(filter: CompiledFilter, lines: Iterable<string>, clock: Clock, keep: TallyKeep, source: string): Tally {
  const t: Tally = {
    lines: 0, matched: 0, ignored: 0, missed: 0,
    failregexHits: filter.failregex.map(() => 0),
    ignoreregexHits: filter.ignoreregex.map(() => 0),
    hits: [], matchedLines: [], missedLines: [], ignoredLines: [], seconds: 0,
  };
  const started = performance.now();
  for (const text of lines) {
    const n = ++t.lines;
    const hits = filter.feed({ source, text, readAt: clock.now() });
    const last = filter.last;
    for (const h of hits) t.hits.push({ ...h, line: n });
    if (last.ignoreregex >= 0) {
      t.ignored++;
      t.ignoreregexHits[last.ignoreregex]!++;
      if (keep.ignored) t.ignoredLines.push({ line: n, text });
    } else if (last.failregex >= 0) {
      t.matched++;
      t.failregexHits[last.failregex]!++;
      if (keep.matched) t.matchedLines.push({ line: n, text });
    } else {
      t.missed++;
      if (keep.missed) t.missedLines.push({ line: n, text });
    }
  }
  t.seconds = (performance.now() - started) / 1000;
  return t;
}
