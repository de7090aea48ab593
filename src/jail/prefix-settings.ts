/**
 * The prefix keys of a jail, typed and checked: `ipv4_prefix` / `ipv6_prefix`
 * (failures counted and banned per prefix of that length), `escalate = N in
 * DURATION` with `escalate_prefix` (N banned addresses of one prefix within
 * the window ban the prefix), the floors `ipv4_prefix_floor` /
 * `ipv6_prefix_floor` (no ban, automatic or manual, wider than these) and
 * `failure_table_size` (addresses counted at once; the oldest is forgotten
 * first). Every bad value is refused with its file, line, section and key.
 */
import { prefixLength } from '../core/address.js';
import { DEFAULTS } from '../core/defaults.js';
import { ConfigError } from '../core/errors.js';
import { parseDuration } from '../config/duration.js';
import type { Setting } from '../config/types.js';
import { at } from './settings.js';

/** A length per address family. */
export interface FamilyBits {
  readonly v4: number;
  readonly v6: number;
}

/** `escalate`: `count` banned addresses (or counting prefixes) of one `bits` prefix within `window` seconds ban the prefix. */
export interface Escalation {
  readonly count: number;
  readonly window: number;
  readonly bits: FamilyBits;
}

/** A jail's prefix settings. */
export interface PrefixSettings {
  /** Counting (and ban) prefix length per family; 32 / 128 = single addresses (fail2ban's behaviour). */
  readonly prefix: FamilyBits;
  /** Widest prefix any ban of the jail may cover (manual bans included). */
  readonly floor: FamilyBits;
  readonly escalate: Escalation | null;
  /** Most addresses (or prefixes) with failures kept at once. */
  readonly failureTableSize: number;
}

/** A whole number in [min, max] from a setting. */
function bitsIn(s: Setting, min: number, max: number, what: string): number {
  const n = prefixLength(s.value.trim(), max);
  if (n === null || n < min) throw new ConfigError(at(s), `expected ${what}: a prefix length from ${min} to ${max}`);
  return n;
}

/** `N in DURATION` (N ≥ 2, a finite positive duration). */
function parseEscalate(s: Setting): { count: number; window: number } {
  const m = /^\s*(\d{1,6})\s+in\s+(\S.*?)\s*$/i.exec(s.value);
  const count = m ? Number(m[1]) : NaN;
  if (!m || count < 2) throw new ConfigError(at(s), 'expected `N in DURATION` with N ≥ 2, e.g. `3 in 1h`');
  const window = parseDuration(m[2]!, at(s));
  if (window === null || window <= 0) throw new ConfigError(at(s), 'the escalation window must be a positive duration');
  return { count, window };
}

/** Reads the prefix keys of one jail section (`get` reads a key with DEFAULT merged in). */
export function prefixSettings(get: (key: string) => Setting | undefined): PrefixSettings {
  const f4 = get('ipv4_prefix_floor');
  const f6 = get('ipv6_prefix_floor');
  const floor: FamilyBits = {
    v4: f4 ? bitsIn(f4, 1, 32, 'the widest IPv4 ban') : DEFAULTS.ipv4PrefixFloor,
    v6: f6 ? bitsIn(f6, 1, 128, 'the widest IPv6 ban') : DEFAULTS.ipv6PrefixFloor,
  };
  const p4 = get('ipv4_prefix');
  const p6 = get('ipv6_prefix');
  const prefix: FamilyBits = {
    v4: p4 ? bitsIn(p4, floor.v4, 32, `the IPv4 counting prefix (not wider than ipv4_prefix_floor = ${floor.v4})`) : 32,
    v6: p6 ? bitsIn(p6, floor.v6, 128, `the IPv6 counting prefix (not wider than ipv6_prefix_floor = ${floor.v6})`) : 128,
  };
  const esc = get('escalate');
  const escPrefix = get('escalate_prefix');
  let escalate: Escalation | null = null;
  if (esc && esc.value.trim() !== '') {
    const { count, window } = parseEscalate(esc);
    const words = escPrefix ? escPrefix.value.split(/[\s,]+/).filter((w) => w !== '') : [];
    if (escPrefix && (words.length < 1 || words.length > 2)) throw new ConfigError(at(escPrefix), 'expected one IPv6 length, or an IPv6 and an IPv4 length (`64, 24`)');
    const word = (i: number): Setting | undefined => (words[i] === undefined ? undefined : { ...escPrefix!, value: words[i]! });
    const w6 = word(0);
    const w4 = word(1);
    const bits: FamilyBits = {
      v6: w6 ? bitsIn(w6, floor.v6, prefix.v6 - 1, 'the IPv6 escalation prefix (wider than ipv6_prefix, not wider than ipv6_prefix_floor)') : DEFAULTS.escalatePrefixV6,
      v4: w4 ? bitsIn(w4, floor.v4, prefix.v4 - 1, 'the IPv4 escalation prefix (wider than ipv4_prefix, not wider than ipv4_prefix_floor)') : DEFAULTS.escalatePrefixV4,
    };
    if (bits.v6 >= prefix.v6 || bits.v6 < floor.v6 || bits.v4 >= prefix.v4 || bits.v4 < floor.v4) {
      throw new ConfigError(at(esc), `the escalation prefixes /${bits.v6} and /${bits.v4} must be wider than ipv6_prefix /${prefix.v6} and ipv4_prefix /${prefix.v4} and within the floors /${floor.v6} and /${floor.v4} (set escalate_prefix)`);
    }
    escalate = { count, window, bits };
  } else if (escPrefix && escPrefix.value.trim() !== '') {
    throw new ConfigError(at(escPrefix), 'escalate_prefix needs `escalate = N in DURATION`');
  }
  const size = get('failure_table_size');
  const n = size ? Number(size.value.trim()) : DEFAULTS.failureTableSize;
  if (!Number.isInteger(n) || n < 1 || n > 100_000_000) throw new ConfigError(at(size!), 'expected a whole number of entries from 1 to 100000000');
  return { prefix, floor, escalate, failureTableSize: n };
}
