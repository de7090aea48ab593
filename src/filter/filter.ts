/**
 * A compiled fail2ban filter: lines in, failures out. Per line: the literal
 * prefilter (lines that cannot match any failregex stop here), date
 * detection (the date text is cut out, as fail2ban does), prefregex (its
 * `<F-CONTENT>` is what the failregexes see), the failregexes in order, the
 * ignoreregexes on a match, multi-line ids, and the address made canonical.
 * With maxlines > 1 the last lines are kept and matched as one buffer.
 */
import type { RawSection } from '../config/types.js';
import type { Clock } from '../core/clock.js';
import { ConfigError } from '../core/errors.js';
import { LIMITS } from '../core/defaults.js';
import type { Line } from '../core/records.js';
import { canonicalAddress } from '../core/address.js';
import { compileFilterRegex, hasGroup, type FilterRegex } from './compile-regex.js';
import { DateDetector, rematch, type DateMatch } from './date-detector.js';
import type { DateTemplate } from './date-template.js';
import { DatePatternError } from './strftime.js';
import { matchGroups, publicFields } from './groups.js';
import { literalPrefilter, type DateCut } from './literals.js';
import { MlfidCache } from './mlfid.js';
import { journalMatch, logTimeZone, maxLineLen, maxLines, regexLines } from './options.js';
import { LineBuffer } from './line-buffer.js';
import type { UseDns } from './tags.js';

/** One failure found by a filter. */
export interface FilterHit {
  /** Canonical address or prefix (raw host text when `rawHosts`). */
  readonly addr: string;
  /** From the line's date (ms since the epoch); the read time when the line has none. */
  readonly time: number;
  /** The lines behind the failure (several for multi-line filters). */
  readonly matches: readonly string[];
  /** `<F-USER>` and other named captures. */
  readonly fields: Readonly<Record<string, string>>;
  /** Index of the failregex that matched. */
  readonly failregex: number;
  /** `<F-NOFAIL>` hit (only reported with `reportNofail`); not a failure. */
  readonly nofail: boolean;
}

/** Where a filter matching off the main thread reports. */
export interface DeferredSink {
  hits(hits: readonly FilterHit[]): void;
  /** A line was abandoned: over the time budget, dropped from a full queue, or lost with a failed worker. */
  abandoned(event: AbandonedLine): void;
}

/** One abandoned line (see DeferredSink). */
export interface AbandonedLine {
  readonly kind: 'timeout' | 'queue-full' | 'worker-error';
  /** Lines abandoned so far by this filter, this one included. */
  readonly count: number;
  readonly source: string;
  readonly detail?: string;
}

/** What the daemon needs from a filter. */
export interface Filter {
  /** Processes one line; returns the failures it completes (usually none or one). */
  feed(line: Line): FilterHit[];
  /** `journalmatch` lines for the systemd source. */
  readonly journalmatch: readonly string[];
  /** Lines whose processing took longer than LIMITS.matchBudgetMs (metrics; filters matching in-line count them). */
  readonly slowLines?: number;
  /** Filters matching off the main thread (GuardedFilter) hand their hits (and abandoned lines) here later instead of from `feed`. */
  deliver?(sink: DeferredSink): void;
  /** Releases what the filter holds (its worker thread). */
  close?(): void;
}

/** Side effects and jail settings a filter depends on. */
export interface FilterOptions {
  readonly clock: Clock;
  /** Zone for dates without one (`UTC`, `UTC+0200`, `CET`…); default: system local time. */
  readonly logtimezone?: string;
  /**
   * `no` (default): `<HOST>` matches addresses only; else host names match too
   * and become addresses through `resolve` (without it, and with `raw`, a
   * name is no failure: only addresses reach the firewall).
   */
  readonly usedns?: UseDns;
  /** Synchronous name → addresses lookup (a cache) used for host names when usedns is yes/warn, never otherwise. */
  readonly resolve?: (name: string) => readonly string[];
  /** Overrides the filter's `maxlines`. */
  readonly maxlines?: number;
  /** Report the matched host text as written (names too) instead of a canonical address (test-filter, tests). */
  readonly rawHosts?: boolean;
  /** Also return `<F-NOFAIL>` hits, flagged (for `test-filter`). */
  readonly reportNofail?: boolean;
  /** Skip the literal prefilter (default: used). */
  readonly noPrefilter?: boolean;
  /**
   * Detect the date of lines the prefilter rejects too (`test-filter`): the date
   * template counts then cover every line and the detector's state (its last
   * template, the last date) is what it would be with no prefilter; only the
   * failregexes are spared on lines that cannot match them.
   */
  readonly datesOfEveryLine?: boolean;
  /**
   * Believe dates beyond the clock-skew tolerance in the future (default: such a line takes its
   * read time). Only for replaying fail2ban's sample logs, whose test clock is pinned to 2005.
   */
  readonly acceptFutureDates?: boolean;
}

const EMPTY: FilterHit[] = [];
Object.freeze(EMPTY);
const ID_GROUPS = ['fid', 'ip4', 'ip6', 'dns', 'mlfid'];

/** What the last `feed` did, for `test-filter` (no allocation on the hot path). */
export interface LastLine {
  /** The prefilter passed (the line was examined). */
  examined: boolean;
  /** Index of the failregex that matched, or -1. */
  failregex: number;
  /** Index of the ignoreregex that dropped the match, or -1. */
  ignoreregex: number;
  /** Date found in the line (null too for a line the prefilter rejected: its date is only counted). */
  date: DateMatch | null;
}

/** The compiled filter; `Filter` plus what `test-filter` reports. */
export class CompiledFilter implements Filter {
  readonly journalmatch: readonly string[];
  readonly failregex: readonly FilterRegex[];
  readonly ignoreregex: readonly FilterRegex[];
  readonly prefregex: FilterRegex | null;
  readonly dates: DateDetector;
  readonly maxlines: number;
  /** Lines longer than this (bytes) never match (`maxlinelen`). */
  readonly maxlinelen: number;
  /** Lines must contain one of these to be examined (null: every line is). */
  readonly prefilter: RegExp | null;
  /** Lines whose processing took longer than LIMITS.matchBudgetMs. */
  slowLines = 0;
  /** Lines cut by the source or longer than maxlinelen: never matched. */
  cutLines = 0;
  /** Failures whose date lay beyond the clock-skew tolerance in the future (they took their read time). */
  futureDates = 0;
  readonly last: LastLine = { examined: false, failregex: -1, ignoreregex: -1, date: null };

  private readonly mlfids = new MlfidCache();
  /** The last non-empty date seen, for lines without one (parsed only when needed). */
  private lastDate: DateMatch | null = null;
  /** A later non-empty date that was only counted (datesOfEveryLine): its template and line, matched again once needed. */
  private countedTemplate: DateTemplate | null = null;
  private countedLine = '';
  private readonly buffer: LineBuffer;
  private readonly defaultOffset: number | null;

  constructor(def: RawSection, private readonly options: FilterOptions) {
    this.maxlines = maxLines(def, options.maxlines);
    this.maxlinelen = maxLineLen(def);
    const multiline = this.maxlines > 1;
    const usedns = options.usedns ?? 'no';
    const compileAll = (key: string): FilterRegex[] =>
      regexLines(def, key).map((l) => compileFilterRegex(l.text, { pos: l.pos, usedns, multiline }));
    const pref = compileAll('prefregex');
    this.prefregex = pref[0] ?? null;
    this.failregex = compileAll('failregex');
    this.ignoreregex = compileAll('ignoreregex');
    const failPos = def.settings.get('failregex')?.pos ?? { file: def.name, section: 'Definition', key: 'failregex' };
    if (this.failregex.length === 0) throw new ConfigError({ ...failPos, key: 'failregex' }, `filter ${def.name} has no failregex`);
    const prefHasId = this.prefregex !== null && ID_GROUPS.some((g) => hasGroup(this.prefregex!, g));
    for (const r of this.failregex) {
      if (!prefHasId && !ID_GROUPS.some((g) => hasGroup(r, g))) {
        throw new ConfigError({ ...failPos, key: 'failregex', value: r.text }, 'no failure-id group: use <HOST>, <ADDR>, <F-ID>… or <F-MLFID>');
      }
    }
    const datePos = def.settings.get('datepattern');
    try {
      this.dates = new DateDetector(datePos?.value);
    } catch (e) {
      if (e instanceof DatePatternError) {
        throw new ConfigError({ ...(datePos?.pos ?? { file: def.name }), key: 'datepattern', value: datePos?.value }, e.message);
      }
      throw e;
    }
    this.defaultOffset = logTimeZone(options.logtimezone, { file: def.name });
    this.journalmatch = journalMatch(def);
    this.buffer = new LineBuffer(this.maxlines);
    const cut: DateCut = this.dates.none || this.dates.lineStartOnly ? 'line-start' : 'anywhere';
    this.prefilter = multiline || options.noPrefilter ? null : prefilterOf(this.failregex, cut);
  }

  /** Regexes V8 cannot move to its linear engine (back-references, lookarounds). */
  get unguarded(): FilterRegex[] {
    return [this.prefregex, ...this.failregex, ...this.ignoreregex].filter((r): r is FilterRegex => r !== null && !r.linear);
  }

  feed(line: Line): FilterHit[] {
    const text = line.text;
    const last = this.last;
    last.failregex = -1;
    last.ignoreregex = -1;
    last.date = null;
    if (line.cut === true || this.tooLong(text)) {
      // Its real end (the program's own `from <addr>`, nginx's `, client: <addr>`) may be
      // gone, so what the attacker wrote before it could supply the address: never matched.
      this.cutLines++;
      last.examined = false;
      return EMPTY;
    }
    if (this.prefilter !== null && !this.prefilter.test(text)) {
      last.examined = false;
      if (this.options.datesOfEveryLine === true) this.countDate(text);
      return EMPTY;
    }
    last.examined = true;
    const started = performance.now();
    const date = this.detectDate(text);
    const rest = date === null ? text : text.slice(0, date.start) + text.slice(date.end);
    const hits = this.match(rest, line, date);
    if (performance.now() - started > LIMITS.matchBudgetMs) this.slowLines++;
    return hits;
  }

  /** Finds the line's date; it becomes `last.date` and, when not empty, the date of later dateless lines. */
  private detectDate(text: string): DateMatch | null {
    const date = this.dates.none ? null : this.dates.find(text);
    this.last.date = date;
    if (date !== null && date.end > date.start) this.noteDate(date);
    return date;
  }

  /** Counts the date of a line the prefilter rejected; what it finds is the date of later dateless lines all the same. */
  private countDate(text: string): void {
    if (this.dates.none) return;
    const date = this.dates.count(text);
    if (date === null) return;
    if ('match' in date) {
      if (date.end > date.start) this.noteDate(date);
      return;
    }
    this.countedTemplate = date;
    this.countedLine = text;
  }

  private noteDate(date: DateMatch): void {
    this.lastDate = date;
    this.countedTemplate = null;
  }

  /** More than maxlinelen bytes of UTF-8 (a UTF-16 unit is at most 3 bytes: short lines need no count). */
  private tooLong(text: string): boolean {
    const max = this.maxlinelen;
    if (text.length * 3 <= max) return false;
    return text.length > max || Buffer.byteLength(text, 'utf8') > max;
  }

  private match(rest: string, line: Line, date: DateMatch | null): FilterHit[] {
    const multi = this.maxlines > 1;
    if (multi) this.buffer.push(rest, line.text);
    let buf = multi ? this.buffer.text() : rest;
    let pre: Record<string, string> | null = null;
    let content = false;
    if (this.prefregex !== null) {
      const pm = this.prefregex.re.exec(buf);
      if (pm === null) return EMPTY;
      const t = this.prefregex.table;
      const c = t.content === undefined ? undefined : pm[t.content];
      if (c) { buf = c; content = true; }
      if (t.indices.length > (t.content === undefined ? 0 : 1)) {
        pre = matchGroups(pm, this.prefregex.table, {});
        delete pre.content;
      }
    }
    for (let i = 0; i < this.failregex.length; i++) {
      const r = this.failregex[i]!;
      const m = r.re.exec(buf);
      if (m === null) continue;
      const matched = multi && !content ? this.buffer.take(m, r.table.skiplines) : null;
      const ignoreText = matched !== null ? `${matched.map((l) => l.rest).join('\n')}\n` : buf;
      const ig = this.ignoreregex.findIndex((x) => x.re.test(ignoreText));
      if (ig >= 0) { this.last.ignoreregex = ig; return EMPTY; }
      this.last.failregex = i;
      if (multi && content) this.buffer.clear();
      const groups = matchGroups(m, r.table, pre === null ? {} : Object.assign({}, pre));
      return this.hits(i, groups, matched !== null ? matched.map((l) => l.text) : [line.text], line, date);
    }
    return EMPTY;
  }

  private hits(index: number, groups: Record<string, string>, lines: string[], line: Line, date: DateMatch | null): FilterHit[] {
    const now = this.options.clock.now();
    let matches = lines;
    let nofail = groups.nofail !== undefined;
    if (groups.mlfid !== undefined) {
      const state = this.mlfids.merge(groups.mlfid, groups, lines.join('\n'), now);
      groups = state.groups;
      nofail = state.nofail;
      matches = state.matches.flatMap((l) => l.split('\n'));
      if (nofail && !this.options.reportNofail) return EMPTY;
      if (groups.ip4 === undefined && groups.ip6 === undefined && groups.dns === undefined && groups.fid === undefined) {
        state.pending = true;
        return EMPTY;
      }
    } else if (nofail && !this.options.reportNofail) return EMPTY;
    const time = this.timeOf(date, now) ?? line.readAt;
    const addrs = this.addresses(groups);
    if (addrs.length === 0) return EMPTY;
    const fields = publicFields(groups);
    for (const k in fields) fields[k] = ownCopy(fields[k]!);
    const kept = matches.map(ownCopy);
    return addrs.map((addr) => ({ addr, time, matches: kept, fields, failregex: index, nofail }));
  }

  /**
   * The line's time; a line without a date (or with an empty one, `()**`)
   * takes the last date seen if that is under a minute old, as in fail2ban.
   * A date more than LIMITS.futureDateSkewMs ahead of the clock (a forged
   * line, a wrong zone) is no time at all: the line takes its read time
   * (counted in `futureDates`), and a later dateless line never inherits it.
   */
  private timeOf(date: DateMatch | null, now: number): number | null {
    const ctx = { now, defaultOffset: this.defaultOffset };
    const latest = this.options.acceptFutureDates === true ? Infinity : now + LIMITS.futureDateSkewMs;
    if (date !== null && date.end > date.start) {
      const t = date.template.time(date.match, ctx);
      if (t !== null && t > latest) { this.futureDates++; return null; }
      return t;
    }
    if (this.countedTemplate !== null) this.noteDate(rematch(this.countedTemplate, this.countedLine)!);
    const last = this.lastDate === null ? null : this.lastDate.template.time(this.lastDate.match, ctx);
    return last !== null && last > now - 60_000 && last <= latest ? last : null;
  }

  private addresses(g: Record<string, string>): readonly string[] {
    const raw = this.options.rawHosts === true;
    const ip = g.ip4 ?? g.ip6;
    if (ip !== undefined) {
      if (raw) return [ip];
      const a = canonicalAddress(ip, g.cidr);
      return a === null ? [] : [a];
    }
    if (g.dns !== undefined) {
      if (raw) return [g.dns];
      const literal = canonicalAddress(g.dns);
      if (literal !== null) return [literal];
      const lookup = this.options.usedns === 'yes' || this.options.usedns === 'warn';
      const resolved = lookup ? this.options.resolve?.(g.dns) ?? [] : [];
      return resolved.map((a) => canonicalAddress(a)).filter((a): a is string => a !== null);
    }
    if (g.fid !== undefined) {
      if (raw) return [g.fid];
      const a = canonicalAddress(g.fid);
      return a === null ? [] : [a];
    }
    return [];
  }
}

/**
 * `text` as a string of its own. A source's lines are slices of one string per piece of
 * up to 64 KiB it decoded (src/sources/line-splitter.ts), and captures are slices of
 * their line: a hit the jail keeps for findtime would keep its whole piece alive (a
 * catch-up then held the whole log, and the young-generation GC copied it). Joining
 * then slicing makes V8 flatten the text into a new string of the text's own length.
 */
function ownCopy(text: string): string {
  return ` ${text}`.slice(1);
}

function prefilterOf(regexes: readonly FilterRegex[], cut: DateCut): RegExp | null {
  const all: string[] = [];
  for (const r of regexes) {
    if (r.literals === null) return null;
    all.push(...r.literals);
  }
  return literalPrefilter(all, cut);
}

/**
 * Compiles a filter definition (the resolved `[Definition]` from
 * loadFilterDefinition). Throws ConfigError naming the regex that cannot be
 * translated, a bad maxlines, datepattern or logtimezone.
 */
export function compileFilter(def: RawSection, options: FilterOptions): CompiledFilter {
  return new CompiledFilter(def, options);
}
