/**
 * Reading a filter definition (the resolved `[Definition]` RawSection) into
 * typed parts: regex lists, maxlines, datepattern, journalmatch, with
 * ConfigError positions for bad values.
 */
import type { Setting, RawSection } from '../config/types.js';
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

/** `maxlines` (default 1); `override` comes from FilterOptions. */
export function maxLines(def: RawSection, override: number | undefined): number {
  const s = def.settings.get('maxlines');
  const text = override !== undefined ? String(override) : s?.value.trim() ?? '1';
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 1000) {
    throw new ConfigError({ ...position(def, 'maxlines', s), key: 'maxlines', value: text }, 'maxlines must be an integer from 1 to 1000');
  }
  return n;
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
