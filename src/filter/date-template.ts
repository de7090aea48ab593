/**
 * One date template: a regex finding a date in a line (group 1 is the date
 * text that is cut out of the line before the failregexes run, as fail2ban
 * does) and how to turn the match into a time. Built from a `datepattern`
 * (strptime fields), `EPOCH`/`LEPOCH`/`{EPOCH}` or `TAI64N`.
 */
import { DatePatternError, expandDateFields, fieldsToTime, type DateContext, type DateFields } from './strftime.js';
import { translatePython } from './pyregex.js';

/** A compiled template. */
export interface DateTemplate {
  /** Pattern as written (`{^LN-BEG}%b %d %H:%M:%S`, `EPOCH`…), for reports. */
  readonly name: string;
  /** Search regex; the date text is group `dateGroup`, after group `preGroup` (or, with the `d` flag, group 1). */
  readonly regex: RegExp;
  /** Number of the group holding the date text; null: use group 1's indices (`d` flag). */
  readonly dateGroup: number | null;
  /** Number of the group holding the text before the date. */
  readonly preGroup: number;
  /** The date can only be preceded by `^\W{0,2}` (fail2ban's `{^LN-BEG}` form). */
  readonly lineStart: boolean;
  /** Anchored at line begin or end: a match is final, no better candidate is searched. */
  readonly anchored: boolean;
  /** A match always has a date of at least one character (set for fail2ban's default patterns). */
  readonly neverEmpty: boolean;
  /** The time for a match, or null if the fields make no valid date. */
  time(m: RegExpExecArray, ctx: DateContext): number | null;
}

const EPOCH_RE = String.raw`\d{10,11}\b(?:\.\d{3,6})?`;
const LONG_EPOCH_RE = String.raw`\d{10,11}(?:\d{3}(?:\.\d{1,6}|\d{3})?)?`;
const RE_GLOBAL_FLAGS = /(?:^|(?<!\\))\(\?[a-z]+\)/;
const NO_BOUND_BEGIN = /^\(*(?:\(\?\w+\))?(?:\^|\(*\*\*|\((?:\?:)?\^)/;
const NO_BOUND_END = /(?<!\\)(?:\$\)?|\\b|\\s|\*\*\)*)$/;
const LINE_BOUND_BEGIN = /^(?:\(\?\w+\))?(?:\^|\((?:\?:)?\^(?!\|))/;
const LINE_BOUND_END = /(?<![\\|])(?:\$\)?)$/;
const HAS_GROUP = /(?<!\(\?)(?<!\\)\((?!\?)/;

/**
 * Splits `src` (Python) at its first capturing group when that group is at
 * the top level with no alternation before it: the text before becomes group
 * `__pre`, so the date's span is known without the costly `d` flag.
 */
function splitAtDateGroup(src: string): { source: string; group: string; pre: string } | null {
  let depth = 0;
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if (c === '\\') { i++; continue; }
    if (c === '[') {
      i++;
      if (src[i] === '^') i++;
      if (src[i] === ']') i++;
      while (i < src.length && src[i] !== ']') { if (src[i] === '\\') i++; i++; }
      continue;
    }
    if (c === '|' && depth === 0) return null;
    if (c === ')') { depth--; continue; }
    if (c !== '(') continue;
    const named = /^\(\?P<(\w+)>/.exec(src.slice(i));
    if (src[i + 1] !== '?' || named) {
      if (depth !== 0) return null;
      const pre = `(?P<__pre>${src.slice(0, i)})`;
      if (named) return { source: pre + src.slice(i), group: named[1]!, pre: src.slice(0, i) };
      return { source: `${pre}(?P<__date>${src.slice(i + 1)}`, group: '__date', pre: src.slice(0, i) };
    }
    depth++;
  }
  return null;
}

const LINE_START_PRE = /^(?:\(\?\w+\))?\^(?:\(\?:\\W\{0,2\}\)\?)?$/;

interface Compiled {
  readonly regex: RegExp;
  readonly dateGroup: number | null;
  readonly preGroup: number;
  /** Capture name → group number (strptime fields, `__epoch`, `__tai`). */
  readonly fields: ReadonlyMap<string, number>;
}

function compile(pyRegex: string, name: string): Compiled {
  const split = splitAtDateGroup(pyRegex);
  const t = translatePython(split?.source ?? pyRegex, false, split !== null);
  try {
    return {
      regex: new RegExp(t.source, split ? '' : 'd'),
      dateGroup: split === null ? null : t.index.get(split.group) ?? null,
      preGroup: t.index.get('__pre') ?? 0,
      fields: t.index,
    };
  } catch (e) {
    throw new DatePatternError(`${name}: ${(e as Error).message}`);
  }
}

function isLineStart(pyRegex: string): boolean {
  const split = splitAtDateGroup(pyRegex);
  return split !== null && LINE_START_PRE.test(split.pre);
}

/** How a template is built. */
export interface TemplateOptions {
  /**
   * Compile the regex on first use (fail2ban's default patterns, known to compile: a
   * process compiling a filter then pays only for the templates its lines try; all of
   * them cost 45-90 ms of CPU at start, a syslog log tries two). A filter's own pattern
   * compiles at once, so a bad one fails when the filter loads.
   */
  readonly lazy?: boolean;
  /** Sets DateTemplate.neverEmpty. */
  readonly neverEmpty?: boolean;
}

/** The template of `source` (Python regex); `time` makes its time function from the compiled regex. */
function template(name: string, anchored: boolean, source: string, time: (c: Compiled) => DateTemplate['time'], o: TemplateOptions): DateTemplate {
  let c: Compiled | null = o.lazy === true ? null : compile(source, name);
  let timeOf: DateTemplate['time'] | null = null;
  const compiled = (): Compiled => (c ??= compile(source, name));
  return {
    name, anchored, lineStart: isLineStart(source), neverEmpty: o.neverEmpty === true,
    get regex() { return compiled().regex; },
    get dateGroup() { return compiled().dateGroup; },
    get preGroup() { return compiled().preGroup; },
    time: (m, ctx) => (timeOf ??= time(compiled()))(m, ctx),
  };
}

/**
 * Wraps a date regex the way fail2ban does: group 1 around the date unless
 * the pattern has its own, word boundaries unless `**` or anchors say
 * otherwise, `^\W{0,2}` for `{^LN-BEG}` (wordBegin = 'start').
 */
function bounded(regex: string, wordBegin: boolean | 'start', wordEnd: boolean): { source: string; anchored: boolean } {
  let re = regex.trim();
  const gf = RE_GLOBAL_FLAGS.exec(re);
  if (gf) re = re.replace(RE_GLOBAL_FLAGS, '');
  const boundBegin = wordBegin !== false && !NO_BOUND_BEGIN.test(re);
  const boundEnd = wordEnd && !NO_BOUND_END.test(re);
  if (!HAS_GROUP.test(re)) re = re.replace(/^((?:\(\?\w+\))?\^?(?:\(\?\w+\))?)([\s\S]*?)(\$?)$/, '$1($2)$3');
  let anchored = false;
  if (boundBegin) {
    if (wordBegin === 'start') { re = String.raw`^(?:\W{0,2})?${re}`; anchored = true; }
    else re = String.raw`(?=^|\b|\W)${re}`;
  }
  if (boundEnd) re += String.raw`(?=\b|\W|$)`;
  anchored ||= LINE_BOUND_BEGIN.test(re) || LINE_BOUND_END.test(re);
  re = re.replace(/^\(*(?:\(\?\w+\))?\(*\*\*|(?<!\\)\*\*\)*$/g, (m) => m.replace('**', ''));
  return { source: (gf ? gf[0].replace(/^[^(]*/, '') : '') + re, anchored };
}

/** The text of capture `name` in `m`, if it took part. */
function field(m: RegExpExecArray, fields: ReadonlyMap<string, number>, name: string): string | undefined {
  const i = fields.get(name);
  return i === undefined ? undefined : m[i];
}

function epochTemplate(name: string, source: string, anchored: boolean, long: boolean, o: TemplateOptions): DateTemplate {
  return template(name, anchored, source, (c) => (m) => {
    const v = field(m, c.fields, '__epoch') ?? '';
    let seconds = Number(v);
    if (long && v.length >= 13) seconds = v.length >= 16 && !v.includes('.') ? seconds / 1e6 : seconds / 1e3;
    return v !== '' && Number.isFinite(seconds) ? Math.round(seconds * 1000) : null;
  }, o);
}

/** Builds the template for one `datepattern` line (or one of fail2ban's default patterns). */
export function dateTemplate(pattern: string, o: TemplateOptions = {}): DateTemplate {
  let p = pattern.trim();
  let wordBegin: boolean | 'start' = true;
  let wordEnd = true;
  const upper = p.includes('%') ? p : p.toUpperCase();
  const key = upper.replace(/^(?:\{\^LN-BEG\}|\^)/, '');
  const lineBegin = upper !== key;
  if (key === 'EPOCH' || key === 'LEPOCH') {
    const re = key === 'LEPOCH' ? LONG_EPOCH_RE : EPOCH_RE;
    if (lineBegin) return epochTemplate(pattern, String.raw`^(?:\W{0,2})?(?P<__epoch>${re})(?=\b|\W|$)`, true, key === 'LEPOCH', o);
    return epochTemplate(pattern, String.raw`(?:^\[?|(?<=\baudit\())(?P<__epoch>${re})(?=\b|\W|$)`, false, key === 'LEPOCH', o);
  }
  if (key === 'TAI64N') {
    const b = bounded('(?P<__tai>@[0-9a-f]{24})', lineBegin ? 'start' : false, true);
    return template(pattern, b.anchored, b.source, (c) => (m) => parseInt((field(m, c.fields, '__tai') ?? '').slice(2, 17), 16) * 1000, o);
  }
  if (/\{L?EPOCH\}/i.test(p)) {
    const long = /\{LEPOCH\}/i.test(p);
    const inner = p.replace(/(?<!\\)\{L?EPOCH\}/gi, `(?P<__epoch>${long ? LONG_EPOCH_RE : EPOCH_RE})`);
    const b = bounded(`(${inner})`, true, true);
    return epochTemplate(pattern, b.source, b.anchored, long, o);
  }
  if (p.startsWith('{UNB}')) { p = p.slice(5); wordBegin = false; wordEnd = false; }
  if (wordBegin && p.startsWith('{^LN-BEG}')) { p = p.slice(9); wordBegin = 'start'; }
  const b = bounded(expandDateFields(p), wordBegin, wordEnd);
  return template(pattern, b.anchored, b.source, (c) => {
    const read = fieldReader(c.fields);
    return (m, ctx) => fieldsToTime(read(m), ctx);
  }, o);
}

/**
 * Reads the strptime fields fieldsToTime uses from a match into a record of one
 * fixed shape (a field the pattern lacks is undefined, as a group that did not
 * take part): a record built key by key from the pattern's own groups cost
 * ~2.5 µs per dated failure in the daemon's catch-up.
 */
function fieldReader(fields: ReadonlyMap<string, number>): (m: RegExpExecArray) => DateFields {
  const [Y, y, mo, b, B, d, H, I, p, M, S, f, z, Z, j] = ['Y', 'y', 'm', 'b', 'B', 'd', 'H', 'I', 'p', 'M', 'S', 'f', 'z', 'Z', 'j']
    .map((k) => fields.get(k) ?? -1) as [number, number, number, number, number, number, number, number, number, number, number, number, number, number, number];
  const at = (m: RegExpExecArray, i: number): string | undefined => (i < 0 ? undefined : m[i]);
  return (m) => ({
    Y: at(m, Y), y: at(m, y), m: at(m, mo), b: at(m, b), B: at(m, B), d: at(m, d), H: at(m, H), I: at(m, I),
    p: at(m, p), M: at(m, M), S: at(m, S), f: at(m, f), z: at(m, z), Z: at(m, Z), j: at(m, j),
  });
}
