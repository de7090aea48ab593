/**
 * The one boolean parser (fail2ban's words): true/yes/on/1 and
 * false/no/off/0, any case. Anything else is refused with the position of
 * the value, so `enabled = maybe` is an error naming file and line instead of
 * a jail silently left off.
 */
import { ConfigError, type ConfigPosition } from '../core/errors.js';
import type { RawSection } from './types.js';

const TRUE = new Set(['true', 'yes', 'on', '1']);
const FALSE = new Set(['false', 'no', 'off', '0']);

/** Parses a boolean; throws ConfigError at `pos` for any other word. */
export function parseBoolean(text: string, pos: ConfigPosition): boolean {
  const v = text.trim().toLowerCase();
  if (TRUE.has(v)) return true;
  if (FALSE.has(v)) return false;
  throw new ConfigError({ ...pos, value: text }, 'expected a boolean: true/yes/on/1 or false/no/off/0');
}

/** A jail section's `enabled` (absent: false); throws ConfigError for a word that is no boolean. */
export function sectionEnabled(raw: RawSection): boolean {
  const s = raw.settings.get('enabled');
  return s === undefined ? false : parseBoolean(s.value, s.pos);
}
