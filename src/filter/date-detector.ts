/**
 * Date detection: fail2ban's default templates (syslog, ISO 8601 / RFC 3339,
 * Apache access and error logs, epoch, TAI64N, …) or a filter's own
 * `datepattern` lines, with the specials `{^LN-BEG}` (defaults anchored at
 * the line start only), `{DEFAULT}`, `{NONE}` (no date: the read time) and
 * `{DATE}` (the defaults inside a pattern). The template that matched last is
 * tried first; otherwise line-begin matches win, then the earliest match.
 */
import { dateTemplate, type DateTemplate } from './date-template.js';

/** fail2ban's default date patterns, in its order (facts of the format). */
export const DEFAULT_DATE_PATTERNS: readonly string[] = [
  String.raw`%ExY(?P<_sep>[-/.])%m(?P=_sep)%d(?:T|  ?)%H:%M:%S(?:[.,]%f)?(?:\s*%z)?`,
  String.raw`(?:%a )?%b %d %k:%M:%S(?:\.%f)?(?: %ExY)?`,
  String.raw`(?:%a )?%b %d %ExY %k:%M:%S(?:\.%f)?`,
  String.raw`%d(?P<_sep>[-/])%m(?P=_sep)(?:%ExY|%Exy) %k:%M:%S`,
  String.raw`%d(?P<_sep>[-/])%b(?P=_sep)%ExY[ :]?%H:%M:%S(?:\.%f)?(?: %z)?`,
  String.raw`%m/%d/%ExY:%H:%M:%S`,
  String.raw`%m-%d-%ExY %k:%M:%S(?:\.%f)?`,
  'EPOCH',
  String.raw`{^LN-BEG}%H:%M:%S`,
  String.raw`^<%m/%d/%Exy@%H:%M:%S>`,
  String.raw`%Exy%Exm%Exd  ?%H:%M:%S`,
  String.raw`%b %d, %ExY %I:%M:%S %p`,
  String.raw`^%b-%d-%Exy %k:%M:%S`,
  String.raw`%ExY%Exm%Exd(?:T|  ?)%ExH%ExM%ExS(?:[.,]%f)?(?:\s*%z)?`,
  String.raw`(?:%Z )?(?:%a )?%b %d %k:%M:%S(?:\.%f)?(?: %ExY)?`,
  String.raw`(?:%z )?(?:%a )?%b %d %k:%M:%S(?:\.%f)?(?: %ExY)?`,
  'TAI64N',
];

/** A date found in a line: `start`/`end` delimit the text cut out before the failregexes run. */
export interface DateMatch {
  readonly template: DateTemplate;
  readonly match: RegExpExecArray;
  readonly start: number;
  readonly end: number;
}

/** A template with its hit count (for `test-filter`). */
export interface TemplateStats { readonly template: DateTemplate; hits: number }

function isAnchoredPattern(p: string): boolean {
  return p.startsWith('{^LN-BEG}') || p.startsWith('^');
}

let defaults: { anchored: DateTemplate[]; all: DateTemplate[] } | null = null;

/** A default pattern's template: known to compile (so compiled on first use), each requires digits (so its date is never empty). */
function defaultTemplate(pattern: string): DateTemplate {
  return dateTemplate(pattern, { lazy: true, neverEmpty: true });
}

/** The default templates: line-begin copies first, then all (built once, shared). */
function defaultTemplates(): { anchored: DateTemplate[]; all: DateTemplate[] } {
  if (defaults === null) {
    const anchored = DEFAULT_DATE_PATTERNS.filter((p) => !isAnchoredPattern(p)).map((p) => defaultTemplate(`{^LN-BEG}${p}`));
    const all = DEFAULT_DATE_PATTERNS.map((p) => defaultTemplate(p));
    defaults = { anchored: [...anchored, ...all.filter((t) => t.anchored && isAnchoredPattern(t.name))], all: [...anchored, ...all] };
  }
  return defaults;
}

/** Templates for the `{DATE}` special: each default pattern put in place of `{DATE}`. */
function withDefaults(pattern: string): DateTemplate[] {
  return DEFAULT_DATE_PATTERNS.filter((p) => p !== 'TAI64N').map((p) => {
    const inner = p === 'EPOCH' ? '{EPOCH}' : p.replace(/^\{\^LN-BEG\}/, '');
    return dateTemplate(pattern.replace(/(?<!\\)\{DATE\}/gi, () => inner));
  });
}

/** Finds and parses the date of each line; one detector per filter (it learns the last template). */
export class DateDetector {
  readonly stats: TemplateStats[];
  /** `{NONE}`: lines carry no date. */
  readonly none: boolean;
  /** Every template finds dates at the line start only (`^\W{0,2}` before them). */
  readonly lineStartOnly: boolean;
  private last: TemplateStats | null = null;
  private lastStart = -1;

  /** `datepattern`: the filter's value (lines), or undefined for fail2ban's defaults. */
  constructor(datepattern: string | undefined) {
    const lines = (datepattern ?? '').split('\n').map((l) => l.trim()).filter((l) => l !== '');
    const templates: DateTemplate[] = [];
    let none = false;
    if (lines.length === 0) templates.push(...defaultTemplates().all);
    for (const line of lines) {
      const key = line.includes('%') ? line : line.toUpperCase();
      if (key === '{^LN-BEG}') templates.push(...defaultTemplates().anchored);
      else if (key === '{DEFAULT}') templates.push(...defaultTemplates().all);
      else if (key === '{NONE}') none = true;
      else if (/(?<!\\)\{DATE\}/i.test(line)) templates.push(...withDefaults(line));
      else templates.push(dateTemplate(line));
    }
    const seen = new Set<DateTemplate>();
    this.stats = templates.filter((t) => !seen.has(t) && seen.add(t)).map((template) => ({ template, hits: 0 }));
    this.none = none && templates.length === 0;
    this.lineStartOnly = this.stats.every((s) => s.template.lineStart);
  }

  /** The date in `line`, or null when no template matches. */
  find(line: string): DateMatch | null {
    const last = this.last;
    if (last !== null) {
      const m = last.template.regex.exec(line);
      if (m !== null && (last.template.anchored || m.index === this.lastStart)) return this.hit(last, m);
    }
    let best: { s: TemplateStats; m: RegExpExecArray } | null = null;
    for (const s of this.stats) {
      if (s === last) continue;
      const m = s.template.regex.exec(line);
      if (m === null) continue;
      if (s.template.anchored || m.index === 0) { best = { s, m }; break; }
      if (best === null || m.index < best.m.index) best = { s, m };
    }
    if (best === null && last !== null) {
      const m = last.template.regex.exec(line);
      if (m !== null) best = { s: last, m };
    }
    return best === null ? null : this.hit(best.s, best.m);
  }

  /**
   * `find` for a line whose date is only counted (test-filter's lines the prefilter
   * rejected). When the last template is anchored, never matches an empty date and
   * matches again, `find` would return its match: the hit is counted without building
   * it (a regex test, no match array and captures) and the template is returned, for
   * `rematch` should a later dateless line need this date.
   */
  count(line: string): DateMatch | DateTemplate | null {
    const last = this.last;
    if (last !== null && last.template.anchored && last.template.neverEmpty && last.template.regex.test(line)) {
      last.hits++;
      return last.template;
    }
    return this.find(line);
  }

  private hit(s: TemplateStats, m: RegExpExecArray): DateMatch {
    s.hits++;
    this.last = s;
    this.lastStart = m.index;
    return dateMatch(s.template, m);
  }
}

/** The date `template` finds in `line` (one `count` returned it for), as `find` returned it then. */
export function rematch(template: DateTemplate, line: string): DateMatch | null {
  const m = template.regex.exec(line);
  return m === null ? null : dateMatch(template, m);
}

function dateMatch(t: DateTemplate, m: RegExpExecArray): DateMatch {
  if (t.dateGroup === null) {
    const span = m.indices?.[1] ?? [m.index, m.index + m[0].length];
    return { template: t, match: m, start: span[0], end: span[1] };
  }
  const start = m.index + m[t.preGroup]!.length;
  return { template: t, match: m, start, end: start + (m[t.dateGroup] ?? '').length };
}
