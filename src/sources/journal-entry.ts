/**
 * Journal entries as `journalctl -o json` prints them, turned into log lines in
 * syslog's shape with an RFC 3339 time in front, so filters written for
 * `/var/log/auth.log` match journal lines too:
 * `2026-11-21T05:09:37.123456Z host sshd[812]: Failed password for root from 203.0.113.9 port 22 ssh2`.
 */
import { ConfigError, type ConfigPosition } from '../core/errors.js';
import { cutUtf8 } from './line-splitter.js';

/** A field value as journalctl prints it: text, bytes (non-UTF-8 or binary), several values, or null (too large). */
type JsonField = string | number[] | JsonField[] | null;

/** One decoded journal entry. */
export interface JournalEntry {
  /** Opaque position for `--after-cursor`. */
  readonly cursor: string;
  /** The log line handed to filters. */
  readonly text: string;
  /** The line was longer than the cap and cut (it will never match). */
  readonly cut: boolean;
}

function fieldText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && value.length > 0) {
    if (typeof value[0] === 'number') return Buffer.from(value as number[]).toString('utf8');
    return fieldText((value as JsonField[])[0]);
  }
  return '';
}

/** `__REALTIME_TIMESTAMP` (µs since the epoch, as text) → `YYYY-MM-DDTHH:MM:SS.ffffffZ`. */
export function realtimeIso(usec: string): string {
  if (!/^\d{1,17}$/.test(usec)) return '';
  const us = BigInt(usec);
  const iso = new Date(Number(us / 1000n)).toISOString();
  return `${iso.slice(0, 19)}.${String(us % 1_000_000n).padStart(6, '0')}Z`;
}

/**
 * Decodes one JSON line from journalctl; `null` when it is not a JSON object with a
 * cursor (noise, or an entry cut at the size limit). The text is capped at `lineBytes`.
 */
export function parseJournalLine(json: string, lineBytes: number): JournalEntry | null {
  let obj: unknown;
  try {
    obj = JSON.parse(json);
  } catch {
    return null;
  }
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) return null;
  const f = obj as Record<string, unknown>;
  const cursor = fieldText(f.__CURSOR);
  if (cursor === '') return null;
  const time = realtimeIso(fieldText(f.__REALTIME_TIMESTAMP));
  const host = fieldText(f._HOSTNAME);
  const ident = fieldText(f.SYSLOG_IDENTIFIER) || fieldText(f._COMM);
  const pid = fieldText(f.SYSLOG_PID) || fieldText(f._PID);
  // A message with newlines stays one line: an attacker must not forge a second log line.
  const message = fieldText(f.MESSAGE).replace(/\r?\n/g, ' ');
  let prefix = [time, host].filter((s) => s !== '').join(' ');
  if (ident !== '') prefix += `${prefix === '' ? '' : ' '}${ident}${pid === '' ? '' : `[${pid}]`}:`;
  const text = prefix === '' ? message : `${prefix} ${message}`;
  const capped = cutUtf8(text, lineBytes);
  return { cursor, text: capped, cut: capped.length < text.length };
}

/**
 * Splits and checks `journalmatch` into journalctl arguments: each token is `FIELD=value`
 * (FIELD in capitals, digits and `_`) or `+` (OR). Anything else, such as an option, is refused.
 */
export function journalMatchArgs(journalmatch: readonly string[], origin?: ConfigPosition): string[] {
  const tokens = journalmatch.flatMap((m) => m.split(/\s+/)).filter((t) => t !== '');
  for (const token of tokens) {
    if (token !== '+' && !/^[A-Z0-9_]+=/.test(token)) {
      throw new ConfigError(
        { file: '(jail)', ...origin, key: 'journalmatch', value: token },
        'each journal match must be FIELD=value (FIELD in capitals) or +',
      );
    }
  }
  return tokens;
}
