/**
 * Running a filter over a whole log and counting what happened, as
 * `fail2ban-regex` reports it: hits per failregex (with addresses and
 * times), ignoreregex hits, date template hits, matched / ignored / missed
 * lines, elapsed time. Used by `f2b-fw test-filter`.
 */
import type { Clock } from '../core/clock.js';
import type { CompiledFilter, FilterHit } from './filter.js';

/**
 * One hit with the line it came from: what the reports show of it (not its
 * matched lines, which a 1 M-line log would hold by the hundred thousand).
 */
export interface TallyHit extends Pick<FilterHit, 'addr' | 'time' | 'fields' | 'failregex' | 'nofail'> {
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

/**
 * Counts lines fed one at a time (the caller's line splitter pushes them), timing
 * the run from construction to `finish`. `cut` lines (cut by the splitter at
 * LIMITS.lineBytes) are fed as cut, so they never match, exactly as in the daemon.
 */
export class Tallier {
  private readonly t: Tally;
  private readonly started = performance.now();
  /** The read time given to lines: taken once per chunk (`chunkRead`), not per line. */
  private readAt: number;

  constructor(private readonly filter: CompiledFilter, private readonly clock: Clock, private readonly keep: TallyKeep, private readonly source: string) {
    this.t = {
      lines: 0, matched: 0, ignored: 0, missed: 0,
      failregexHits: filter.failregex.map(() => 0),
      ignoreregexHits: filter.ignoreregex.map(() => 0),
      hits: [], matchedLines: [], missedLines: [], ignoredLines: [], seconds: 0,
    };
    this.readAt = clock.now();
  }

  /** A new chunk of the log was read: its lines take this read time (as the daemon's reader does). */
  chunkRead(): void {
    this.readAt = this.clock.now();
  }

  /** Runs one line through the filter and counts the outcome. */
  add(text: string, cut: boolean): void {
    const t = this.t;
    const n = ++t.lines;
    const hits = this.filter.feed({ source: this.source, text, readAt: this.readAt, cut });
    const last = this.filter.last;
    for (const h of hits) t.hits.push({ addr: h.addr, time: h.time, fields: h.fields, failregex: h.failregex, nofail: h.nofail, line: n });
    if (last.ignoreregex >= 0) {
      t.ignored++;
      t.ignoreregexHits[last.ignoreregex]!++;
      if (this.keep.ignored) t.ignoredLines.push({ line: n, text });
    } else if (last.failregex >= 0) {
      t.matched++;
      t.failregexHits[last.failregex]!++;
      if (this.keep.matched) t.matchedLines.push({ line: n, text });
    } else {
      t.missed++;
      if (this.keep.missed) t.missedLines.push({ line: n, text });
    }
  }

  /** The tally, with the time since construction. */
  finish(): Tally {
    this.t.seconds = (performance.now() - this.started) / 1000;
    return this.t;
  }
}
