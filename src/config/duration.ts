/**
 * Durations in fail2ban's notation: plain seconds (`600`, `-1` = permanent)
 * or numbers with units summed up (`1h30m`, `1d 12h`, `2w`, `1mo`, `1y`).
 * Units as fail2ban's `str2seconds` knows them: s/sec/second(s),
 * m/min/minute(s), h/hour(s), d/day(s), w/week(s), mo/month(s) (30.4375 days),
 * y/year(s) (365.25 days). The result is whole seconds, from 1 s to
 * LIMITS.durationSeconds (0 is passed on for the caller to judge); a duration
 * that rounds to nothing (`0.0001`), a negative zero (`-0`) and anything
 * beyond the limit are refused at load time.
 */
import { LIMITS } from '../core/defaults.js';
import { ConfigError, type ConfigPosition } from '../core/errors.js';

const DAY = 86400;
/** Seconds per unit word (lower case). */
const UNITS: ReadonlyMap<string, number> = new Map([
  ...['s', 'sec', 'secs', 'second', 'seconds'].map((u) => [u, 1] as const),
  ...['m', 'mi', 'min', 'mins', 'minute', 'minutes'].map((u) => [u, 60] as const),
  ...['h', 'hr', 'hrs', 'hour', 'hours'].map((u) => [u, 3600] as const),
  ...['d', 'day', 'days'].map((u) => [u, DAY] as const),
  ...['w', 'wk', 'wks', 'week', 'weeks'].map((u) => [u, 7 * DAY] as const),
  ...['mo', 'mon', 'month', 'months'].map((u) => [u, 30.4375 * DAY] as const),
  ...['y', 'yr', 'yrs', 'year', 'years'].map((u) => [u, 365.25 * DAY] as const),
]);

/**
 * Parses a duration into seconds; `null` means permanent (any negative
 * value, as `-1` in fail2ban). Throws ConfigError naming `pos` otherwise.
 */
export function parseDuration(text: string, pos: ConfigPosition): number | null {
  const t = text.trim().toLowerCase();
  if (/^-\d+(\.\d+)?$/.test(t)) {
    if (Number(t) > -1) throw new ConfigError({ ...pos, value: text }, 'a negative duration means permanent: write -1');
    return null;
  }
  if (/^\d+(\.\d+)?$/.test(t)) return bounded(Number(t), text, pos);
  const part = /\s*(\d+(?:\.\d+)?)\s*([a-z]+)/y;
  let total = 0;
  let i = 0;
  while (i < t.length) {
    part.lastIndex = i;
    const m = part.exec(t);
    const unit = m ? UNITS.get(m[2]!) : undefined;
    if (!m || unit === undefined) {
      throw new ConfigError({ ...pos, value: text },
        'not a duration: use seconds, -1 (permanent) or numbers with units s, m, h, d, w, mo, y (e.g. 1h30m)');
    }
    total += Number(m[1]) * unit;
    i = part.lastIndex;
    while (i < t.length && /\s/.test(t[i]!)) i++;
  }
  if (t === '') throw new ConfigError({ ...pos, value: text }, 'empty duration');
  return bounded(total, text, pos);
}

/** `seconds` as whole seconds, refused when it rounds to 0 from above or exceeds the limit. */
function bounded(seconds: number, text: string, pos: ConfigPosition): number {
  const s = Math.round(seconds);
  if (s === 0 && seconds > 0) throw new ConfigError({ ...pos, value: text }, 'shorter than one second: durations are whole seconds');
  if (!(s <= LIMITS.durationSeconds)) {
    throw new ConfigError({ ...pos, value: text }, `longer than ${LIMITS.durationSeconds} s (ten years); use -1 for permanent`);
  }
  return s;
}
