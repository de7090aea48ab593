/**
 * A jail's settings, typed and checked: every bad value is refused with a
 * ConfigError naming file, line, section, key and value. Keys a section does
 * not set take fail2ban's defaults from DEFAULTS.
 */
import { DEFAULTS, LIMITS } from '../core/defaults.js';
import { ConfigError, type ConfigPosition } from '../core/errors.js';
import { parseDuration } from '../config/duration.js';
import { parseBoolean } from '../config/bool.js';
import type { RawSection, Setting } from '../config/types.js';
import { parseIgnoreEntry } from './ignore.js';
import { prefixSettings, type PrefixSettings } from './prefix-settings.js';
import { USEDNS_VALUES, type UseDns } from '../filter/tags.js';

/** How a jail's logs are followed. */
export type Backend = 'auto' | 'polling' | 'inotify' | 'systemd';
/** The two formulas fail2ban documents for bantime.formula (computed, never evaluated). */
export type IncrementFormula = 'power2' | 'exp';

/** bantime.increment and its options. */
export interface BantimeIncrement {
  readonly enabled: boolean;
  /** bantime.factor (default 1). */
  readonly factor: number;
  /** bantime.multipliers; empty = use the formula. */
  readonly multipliers: readonly number[];
  readonly formula: IncrementFormula;
  /** Longest ban in seconds; null = no cap. */
  readonly maxtime: number | null;
  /** Up to this many random seconds added to each ban; null = none. */
  readonly rndtime: number | null;
  /** Count previous bans of the address in every jail, not only this one. */
  readonly overalljails: boolean;
}

/** One jail, typed. Durations in seconds. */
export interface JailSettings extends PrefixSettings {
  readonly name: string;
  readonly enabled: boolean;
  /** Filter reference as written (`sshd[mode=aggressive]`, a path…; empty: the jail's own failregex), for loadFilterDefinition. */
  readonly filter: string;
  readonly logpath: readonly string[];
  readonly backend: Backend;
  /** The jail's own journalmatch lines (the filter's apply when absent). */
  readonly journalmatch?: readonly string[];
  readonly maxretry: number;
  readonly findtime: number;
  /** null = permanent (`bantime = -1`). */
  readonly bantime: number | null;
  /** ignoreip entries as written (addresses, CIDR prefixes, host names). */
  readonly ignoreip: readonly string[];
  readonly ignoreself: boolean;
  readonly increment: BantimeIncrement;
  readonly usedns: UseDns;
  readonly logtimezone?: string;
}

/** `{...pos, value}`: the position of a setting with its resolved value, for messages. */
export function at(s: Setting): ConfigPosition {
  return { ...s.pos, value: s.value };
}

/** A boolean setting (the one boolean parser, src/config/bool.ts). */
export function parseBool(s: Setting): boolean {
  return parseBoolean(s.value, s.pos);
}

function oneOf<T extends string>(s: Setting | undefined, allowed: readonly T[], fallback: T): T {
  if (!s) return fallback;
  const v = s.value.trim().toLowerCase();
  if ((allowed as readonly string[]).includes(v)) return v as T;
  throw new ConfigError(at(s), `expected one of ${allowed.join(', ')}`);
}

function positiveNumber(s: Setting): number {
  const v = s.value.trim();
  const n = Number(v);
  if (v === '' || !Number.isFinite(n) || n <= 0) throw new ConfigError(at(s), 'expected a positive number');
  return n;
}

/** A count (maxretry): a whole number from 1 to LIMITS.count. */
export function parseCount(text: string, pos: ConfigPosition): number {
  const v = text.trim();
  const n = /^\d{1,16}$/.test(v) ? Number(v) : NaN;
  if (!(n >= 1 && n <= LIMITS.count)) throw new ConfigError({ ...pos, value: text }, `expected a whole number from 1 to ${LIMITS.count}`);
  return n;
}

/** A duration that may not be permanent or zero. */
function finiteDuration(s: Setting): number {
  const d = parseDuration(s.value, at(s));
  if (d === null || d <= 0) throw new ConfigError(at(s), 'expected a positive duration (permanent -1 is not allowed here)');
  return d;
}

/** Normalises bantime.formula to one of the two documented formulas; anything else is refused (no eval). */
function parseFormula(s: Setting | undefined): IncrementFormula {
  if (!s || s.value.trim() === '') return 'power2';
  const v = s.value.replace(/\s+/g, '');
  if (v === 'ban.Time*(1<<(ban.Countifban.Count<20else20))*banFactor') return 'power2';
  if (v === 'ban.Time*math.exp(float(ban.Count+1)*banFactor)/math.exp(1*banFactor)') return 'exp';
  throw new ConfigError(at(s), 'only fail2ban\'s two documented formulas are understood (f2b-fw never evaluates code): '
    + 'use bantime.factor, bantime.multipliers and bantime.maxtime instead');
}

function increment(get: (k: string) => Setting | undefined): BantimeIncrement {
  const en = get('bantime.increment');
  const factor = get('bantime.factor');
  const mult = get('bantime.multipliers');
  const maxtime = get('bantime.maxtime');
  const rnd = get('bantime.rndtime');
  const overall = get('bantime.overalljails');
  const multipliers = (mult?.value.trim() ?? '') === '' ? [] : mult!.value.trim().split(/\s+/).map((w) => {
    const n = Number(w);
    if (!Number.isFinite(n) || n < 0) throw new ConfigError(at(mult!), `multiplier ${JSON.stringify(w)} is not a number ≥ 0`);
    return n;
  });
  const empty = (s: Setting | undefined): boolean => !s || s.value.trim() === '';
  return {
    enabled: en ? parseBool(en) : false,
    factor: empty(factor) ? DEFAULTS.bantimeFactor : positiveNumber(factor!),
    multipliers,
    formula: parseFormula(get('bantime.formula')),
    maxtime: empty(maxtime) ? null : finiteDuration(maxtime!),
    rndtime: empty(rnd) ? null : finiteDuration(rnd!),
    overalljails: overall ? parseBool(overall) : false,
  };
}

/** logpath lines; fail2ban's optional trailing ` head`/` tail` word is dropped. */
function logpaths(s: Setting | undefined): string[] {
  if (!s) return [];
  return s.value.split('\n').map((l) => l.trim().replace(/\s+(head|tail)$/i, '')).filter((l) => l !== '');
}

/** Reads and checks one jail section (DEFAULT already merged in by the loader). */
export function jailSettings(raw: RawSection): JailSettings {
  const get = (k: string): Setting | undefined => raw.settings.get(k);
  const enabled = get('enabled');
  const filter = get('filter');
  const maxretry = get('maxretry');
  const findtime = get('findtime');
  const bantime = get('bantime');
  const ignoreip = get('ignoreip');
  const ignoreself = get('ignoreself');
  const journalmatch = get('journalmatch');
  const tz = get('logtimezone');
  const ignoreEntries = (ignoreip?.value ?? '').split(/[\s,]+/).filter((w) => w !== '');
  for (const w of ignoreEntries) parseIgnoreEntry(w, at(ignoreip!));
  const settings: JailSettings = {
    name: raw.name,
    enabled: enabled ? parseBool(enabled) : false,
    filter: filter ? filter.value.trim() : raw.name,
    logpath: logpaths(get('logpath')),
    backend: oneOf(get('backend'), ['auto', 'polling', 'inotify', 'systemd'] as const, DEFAULTS.backend),
    maxretry: maxretry ? parseCount(maxretry.value, maxretry.pos) : DEFAULTS.maxretry,
    findtime: findtime ? finiteDuration(findtime) : DEFAULTS.findtime,
    bantime: bantime ? parseDuration(bantime.value, at(bantime)) : DEFAULTS.bantime,
    ignoreip: ignoreEntries,
    ignoreself: ignoreself ? parseBool(ignoreself) : DEFAULTS.ignoreself,
    increment: increment(get),
    ...prefixSettings(get),
    usedns: oneOf(get('usedns'), USEDNS_VALUES, DEFAULTS.usedns),
    ...(tz && tz.value.trim() !== '' ? { logtimezone: tz.value.trim() } : {}),
    ...(journalmatch && journalmatch.value.trim() !== ''
      ? { journalmatch: journalmatch.value.split('\n').map((l) => l.trim()).filter((l) => l !== '') } : {}),
  };
  if (settings.bantime === 0) throw new ConfigError(at(bantime!), 'bantime 0 would ban nobody: use a positive duration or -1');
  if (settings.enabled && settings.backend !== 'systemd' && settings.logpath.length === 0) {
    const lp = get('logpath');
    throw new ConfigError(lp ? at(lp) : { ...enabled!.pos, key: 'logpath' }, 'an enabled jail needs a logpath (or backend = systemd)');
  }
  return settings;
}
