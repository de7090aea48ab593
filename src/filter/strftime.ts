/**
 * fail2ban's `datepattern` language: a Python regex with strptime fields
 * (`%Y`, `%b`, `%ExY`, `%k`, `%z`…, `%%` for a literal percent) that become
 * named groups, and the conversion of the matched fields into a time (year
 * inferred and rolled back when in the future, time-only dates taken as
 * today or yesterday, zones from the line or `logtimezone`).
 */
import { zoneOffset } from './timezone.js';

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const MONTH_NAMES = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];
const TZ_ABBR = '[A-Z](?:[A-Z]{2,4})?';

/** strptime directive → Python regex (fail2ban's field regexes). */
const FIELDS: Readonly<Record<string, string>> = {
  a: '(?P<a>mon|tue|wed|thu|fri|sat|sun)',
  A: '(?P<A>wednesday|saturday|thursday|tuesday|sunday|monday|friday)',
  b: `(?P<b>${MONTHS.join('|')})`,
  B: '(?P<B>september|february|november|december|january|october|august|march|april|june|july|may)',
  d: String.raw`(?P<d>[1-2]\d|[0 ]?[1-9]|3[0-1])`,
  m: '(?P<m>0?[1-9]|1[0-2])',
  Y: String.raw`(?P<Y>\d{4})`,
  y: String.raw`(?P<y>\d\d)`,
  H: String.raw`(?P<H>[0-1]?\d|2[0-3])`,
  k: String.raw` ?(?P<H>[0-2]?\d)`,
  I: '(?P<I>1[0-2]|0[1-9]|[1-9])',
  l: String.raw` ?(?P<I>1?\d)`,
  M: String.raw`(?P<M>[0-5]?\d)`,
  S: String.raw`(?P<S>[0-5]?\d|6[0-1])`,
  f: '(?P<f>[0-9]{1,6})',
  p: '(?P<p>am|pm)',
  j: String.raw`(?P<j>36[0-6]|3[0-5]\d|[12]\d\d|0[1-9]\d|00[1-9]|[1-9]\d|0[1-9]|[1-9])`,
  U: String.raw`(?P<U>5[0-3]|[0-4]\d|\d)`,
  W: String.raw`(?P<W>5[0-3]|[0-4]\d|\d)`,
  w: '(?P<w>[0-6])',
  Z: '(?P<Z>Z|[A-Z]{3,5})',
  z: String.raw`(?P<z>Z|UTC|GMT|[+-][01]\d(?::?\d{2})?)`,
  ExZ: `(?P<Z>${TZ_ABBR})`,
  Exz: String.raw`(?P<z>(?:${TZ_ABBR})?[+-][01]\d(?::?\d{2})?|${TZ_ABBR})`,
  Exd: String.raw`(?P<d>[1-2]\d|0[1-9]|3[0-1])`,
  Exm: '(?P<m>0[1-9]|1[0-2])',
  ExH: String.raw`(?P<H>[0-1]\d|2[0-3])`,
  Exk: String.raw` ?(?P<H>[0-1]?\d|2[0-3])`,
  Exl: String.raw` ?(?P<I>1[0-2]|\d)`,
  ExM: String.raw`(?P<M>[0-5]\d)`,
  ExS: String.raw`(?P<S>[0-5]\d|6[0-1])`,
  ExY: String.raw`(?P<Y>20\d\d)`,
  Exy: String.raw`(?P<y>\d{2})`,
};

/** A strptime field the pattern cannot use, e.g. `%c` (locale dependent). */
export class DatePatternError extends Error {}

/**
 * Replaces the `%` fields of `pattern` with their regexes (`%%` is a literal
 * percent). Adds `(?i)` when names (`%a %A %b %B %p`) are matched, as fail2ban does.
 */
export function expandDateFields(pattern: string): string {
  let named = false;
  const out = pattern.replace(/%(%|Ex[A-Za-z]|[A-Za-z])/g, (whole, f: string) => {
    if (f === '%') return '%';
    const re = FIELDS[f];
    if (re === undefined) throw new DatePatternError(`unsupported date field ${whole}`);
    if (/^[aAbBp]$/.test(f)) named = true;
    return re;
  });
  return named ? `(?i)${out}` : out;
}

/** Time context: the injected clock and the default zone (`logtimezone`, minutes east of UTC). */
export interface DateContext {
  readonly now: number;
  readonly defaultOffset: number | null;
}

/** Fields of one match as strings (JS match groups). */
export type DateFields = Readonly<Record<string, string | undefined>>;

const DAY_MS = 86_400_000;

function num(v: string | undefined): number | undefined {
  return v === undefined ? undefined : Number(v.trim());
}

interface YMD { readonly y: number; readonly m: number; readonly d: number }
let lastLocal: { minute: number; offset: number | null; ymd: YMD } | null = null;

/** Year, month, day of `t` in the zone `offset` (null: local time); remembered for the minute. */
function localDate(t: number, offset: number | null): YMD {
  const minute = Math.floor(t / 60_000);
  if (lastLocal !== null && lastLocal.minute === minute && lastLocal.offset === offset) return lastLocal.ymd;
  let ymd: YMD;
  if (offset === null) { const d = new Date(t); ymd = { y: d.getFullYear(), m: d.getMonth() + 1, d: d.getDate() }; }
  else { const d = new Date(t + offset * 60_000); ymd = { y: d.getUTCFullYear(), m: d.getUTCMonth() + 1, d: d.getUTCDate() }; }
  lastLocal = { minute, offset, ymd };
  return ymd;
}

function timeOf(y: number, mo: number, d: number, h: number, mi: number, s: number, ms: number, offset: number | null): number {
  return offset === null ? new Date(y, mo - 1, d, h, mi, s, ms).getTime() : Date.UTC(y, mo - 1, d, h, mi, s, ms) - offset * 60_000;
}

/** Converts matched strptime fields to ms since the epoch, or null if they make no date. */
export function fieldsToTime(g: DateFields, ctx: DateContext): number | null {
  let year = num(g.Y);
  if (year === undefined && g.y !== undefined) { year = Number(g.y); if (year <= 2000) year += 2000; }
  let month = num(g.m);
  if (g.b !== undefined) month = MONTHS.indexOf(g.b.toLowerCase()) + 1;
  if (g.B !== undefined) month = MONTH_NAMES.indexOf(g.B.toLowerCase()) + 1;
  let day = num(g.d);
  let hour = num(g.H) ?? 0;
  if (g.I !== undefined) {
    hour = Number(g.I) % 12;
    if (g.p?.toLowerCase() === 'pm') hour += 12;
  }
  const minute = num(g.M) ?? 0;
  const second = num(g.S) ?? 0;
  const ms = g.f === undefined ? 0 : Math.floor(Number(`0.${g.f}`) * 1000);
  let offset: number | null = ctx.defaultOffset;
  const zone = g.z ?? g.Z;
  if (zone !== undefined) {
    offset = zoneOffset(zone);
    if (offset === null) return null;
  }
  const assumeYear = year === undefined;
  if (year === undefined) year = localDate(ctx.now, offset).y;
  const julian = num(g.j);
  if ((month === undefined || day === undefined) && julian !== undefined) {
    const jd = new Date(Date.UTC(year, 0, julian));
    month = jd.getUTCMonth() + 1;
    day = jd.getUTCDate();
  }
  const assumeToday = month === undefined && day === undefined;
  if (assumeToday) { const t = localDate(ctx.now, offset); month = t.m; day = t.d; }
  if (month === undefined || day === undefined || month < 1 || day < 1 || day > 31) return null;
  let t = timeOf(year, month, day, hour, minute, second, ms, offset);
  if (assumeToday && t > ctx.now) t -= DAY_MS;
  if (assumeYear && t > ctx.now + DAY_MS) t = timeOf(year - 1, month, day, hour, minute, second, ms, offset);
  return Number.isFinite(t) ? t : null;
}
