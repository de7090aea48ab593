/**
 * Reading a filter definition (the resolved `[Definition]` RawSection) into
 * typed parts: regex lists, maxlines, datepattern, journalmatch, with
 * ConfigError positions for bad values.
 */
import type { Setting, RawSection } from '../config/types.js';
import { LIMITS } from '../core/defaults.js';
import { ConfigError, type ConfigPosition } from '../core/errors.js';
import { zoneOffset } from './timezone.js';

/** One regex line with where it was written. */
export interface RegexLine { readonly text: string; readonly pos: ConfigPosition }

function position(def: RawSection, key: string, s: Setting | undefined): ConfigPosition {
  return s?.pos ?? { file: def.name, section: 'Definition', key };
}

/** The non-empty lines of a multi-line regex key. */
export function regexLines(def: RawSection, key: string): RegexLine[] {
  const s = def.settings.get(key);
  if (s === undefined) return [];
  const pos = { ...position(def, key, s), key };
  return s.value.split('\n').map((l) => l.trim()).filter((l) => l !== '').map((text) => ({ text, pos }));
}

/** An integer key of the definition within [min, max]; `override` (from FilterOptions) wins. */
function integerKey(def: RawSection, key: string, range: { min: number; max: number; fallback: number }, override?: number): number {
  const s = def.settings.get(key);
  const text = override !== undefined ? String(override) : s?.value.trim() || String(range.fallback);
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < range.min || n > range.max) {
    throw new ConfigError({ ...position(def, key, s), key, value: text }, `${key} must be an integer from ${range.min} to ${range.max}`);
  }
  return n;
}

/** `maxlines` (default 1); `override` comes from FilterOptions. */
export function maxLines(def: RawSection, override: number | undefined): number {
  return integerKey(def, 'maxlines', { min: 1, max: 1000, fallback: 1 }, override);
}

/**
 * `maxlinelen`: lines longer than this many bytes never match (default and
 * ceiling LIMITS.lineBytes, where the sources cut). Filters for programs that
 * cut their own lines (nginx's error log at 2048 bytes, sshd's messages at 1024)
 * set it below that limit: a line that long may have lost its real end.
 */
export function maxLineLen(def: RawSection): number {
  return integerKey(def, 'maxlinelen', { min: 64, max: LIMITS.lineBytes, fallback: LIMITS.lineBytes });
}

/** `journalmatch` lines (each a space-separated match group for the journal reader). */
export function journalMatch(def: RawSection): string[] {
  return (def.settings.get('journalmatch')?.value ?? '').split('\n').map((l) => l.trim()).filter((l) => l !== '');
}

/** `logtimezone` as minutes east of UTC (null: the system's local time). */
export function logTimeZone(text: string | undefined, pos: ConfigPosition): number | null {
  if (text === undefined || text.trim() === '') return null;
  const off = zoneOffset(text);
  if (off === null) {
    throw new ConfigError({ ...pos, key: 'logtimezone', value: text }, 'unknown time zone: use UTC, UTC+hhmm, +hh:mm or an abbreviation like CET');
  }
  return off;
}
