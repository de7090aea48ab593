/**
 * The `[Fleet]` section of f2b-fw.conf / f2b-fw.local: where the shared Redis
 * is (redis://, rediss:// with tls_ca/tls_cert/tls_key, unix:///path?user=&password=&db=), this node's
 * name, which jails it shares and accepts, the local jail for shared bans of
 * jails it lacks, the widest prefixes it accepts and the key prefix. Every
 * value is checked here, before anything starts; errors name file, line,
 * section, key and value (a password in `url` is never repeated).
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { prefixLength } from '../core/address.js';
import { ConfigError, type ConfigPosition } from '../core/errors.js';
import { FLEET_DEFAULTS } from '../core/defaults.js';
import { segmentRegExp } from '../sources/glob.js';
import { FLEET_NAME } from './protocol.js';

/** How to reach Redis. */
export type RedisTarget =
  | { readonly kind: 'tcp'; readonly url: string; readonly tls: boolean }
  | { readonly kind: 'unix'; readonly path: string; readonly db: number; readonly username?: string; readonly password?: string };

/** PEM contents for rediss:// (read at configuration time, so a missing file is a config error). */
export interface FleetTls {
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
}

/** A list of jail-name patterns (`*` = all). */
export interface JailPatterns {
  readonly patterns: readonly string[];
  matches(jail: string): boolean;
}

/** What the fleet is configured to do. */
export interface FleetSettings {
  readonly target: RedisTarget;
  /** The URL with any password replaced by `***`, for messages and status. */
  readonly displayUrl: string;
  readonly tls?: FleetTls;
  readonly node: string;
  readonly share: JailPatterns;
  readonly accept: JailPatterns;
  /** Local jail receiving shared bans of jails this host lacks. */
  readonly jail: string;
  readonly maxPrefixV4: number;
  readonly maxPrefixV6: number;
  /** Redis key prefix (several fleets in one Redis). */
  readonly prefix: string;
  /** The stream keeps about this many entries (`XADD … MAXLEN ~`). */
  readonly streamMaxLen: number;
}

/** A value of the section with where it was set. */
export interface FleetValue {
  readonly value: string;
  readonly pos: ConfigPosition;
}

/** Keys `[Fleet]` understands. */
export const FLEET_KEYS: readonly string[] = ['url', 'node', 'share', 'accept', 'jail', 'max_prefix_v4', 'max_prefix_v6', 'prefix', 'tls_ca', 'tls_cert', 'tls_key', 'stream_maxlen'];

/** `redis://user:secret@host` → `redis://user:***@host`, `unix:///s.sock?password=secret` → `…password=***`. */
export function redactUrl(url: string): string {
  return url
    .replace(/^([a-z]+:\/\/)([^@/]*):([^@/]*)@/i, (_m, scheme: string, user: string) => `${scheme}${user}:***@`)
    .replace(/([?&]password=)[^&]*/i, '$1***');
}

function withValue(v: FleetValue, shown = v.value): ConfigPosition {
  return { ...v.pos, value: shown };
}

function parseTarget(v: FleetValue): RedisTarget {
  const shown = redactUrl(v.value.trim());
  let u: URL;
  try {
    u = new URL(v.value.trim());
  } catch {
    throw new ConfigError(withValue(v, shown), 'not a URL (redis://[user:password@]host:port[/db], rediss://…, unix:///path/to/redis.sock)');
  }
  const db = (text: string, what: string): number => {
    if (text === '') return 0;
    if (!/^\d{1,2}$/.test(text)) throw new ConfigError(withValue(v, shown), `${what} must be a database number 0-99`);
    return Number(text);
  };
  if (u.protocol === 'unix:') {
    if (!u.pathname.startsWith('/') || u.host !== '') throw new ConfigError(withValue(v, shown), 'unix:// needs an absolute socket path: unix:///run/redis/redis.sock[?user=U&password=P&db=N]');
    const params = u.searchParams;
    const user = params.get('user');
    const password = params.get('password');
    return {
      kind: 'unix', path: decodeURIComponent(u.pathname), db: db(params.get('db') ?? '', 'db='),
      ...(user ? { username: user } : {}),
      ...(password ? { password } : {}),
    };
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new ConfigError(withValue(v, shown), 'scheme must be redis://, rediss:// or unix://');
  if (u.hostname === '') throw new ConfigError(withValue(v, shown), 'no host');
  db(u.pathname.replace(/^\//, ''), 'the path');
  return { kind: 'tcp', url: v.value.trim(), tls: u.protocol === 'rediss:' };
}

function patterns(v: FleetValue | undefined, key: string): JailPatterns {
  const words = v ? v.value.split(/[\s,]+/).filter(Boolean) : ['*'];
  if (v && words.length === 0) throw new ConfigError(withValue(v), `no jail given (use * for all jails)`);
  for (const w of words) {
    if (!/^[A-Za-z0-9_.*?[\]!-]{1,64}$/.test(w)) throw new ConfigError(withValue(v!), `${JSON.stringify(w)} is not a jail name or pattern in ${key}`);
  }
  const res = words.map((w) => segmentRegExp(w));
  return { patterns: words, matches: (jail) => res.some((re) => re.test(jail)) };
}

function prefixWidth(v: FleetValue | undefined, max: number, fallback: number): number {
  if (!v) return fallback;
  const n = prefixLength(v.value.trim(), max);
  if (n === null) throw new ConfigError(withValue(v), `expected a prefix length 0-${max}`);
  return n;
}

function pem(v: FleetValue | undefined): string | undefined {
  if (!v) return undefined;
  try {
    return readFileSync(v.value.trim(), 'utf8');
  } catch (e) {
    throw new ConfigError(withValue(v), `cannot read: ${(e as Error).message}`);
  }
}

/**
 * Reads `[Fleet]`; undefined when the section has no `url` (no fleet).
 * `get(key)` gives a key's resolved value; `keys` are the keys the section sets.
 */
export function readFleetSettings(keys: Iterable<string>, get: (key: string) => FleetValue | undefined, sectionPos: ConfigPosition): FleetSettings | undefined {
  for (const k of keys) {
    if (!FLEET_KEYS.includes(k)) throw new ConfigError(get(k)?.pos ?? { ...sectionPos, key: k }, `unknown key (known: ${FLEET_KEYS.join(', ')})`);
  }
  const url = get('url');
  if (!url || url.value.trim() === '') {
    const other = FLEET_KEYS.map(get).find((v) => v !== undefined && v.value.trim() !== '');
    if (other) throw new ConfigError(other.pos, '[Fleet] has no url: set url = redis://host:6379 (or remove the section)');
    return undefined;
  }
  const target = parseTarget(url);
  const name = (key: string, fallback: string): string => {
    const v = get(key);
    const t = v ? v.value.trim() : fallback;
    if (!FLEET_NAME.test(t)) throw new ConfigError(v ? withValue(v) : { ...sectionPos, key, value: t }, `expected a name of 1-64 letters, digits, _ . - (the default is the host name)`);
    return t;
  };
  const prefixV = get('prefix');
  const prefix = prefixV ? prefixV.value.trim() : FLEET_DEFAULTS.prefix;
  if (!/^[A-Za-z0-9_.:-]{1,64}$/.test(prefix)) throw new ConfigError(prefixV ? withValue(prefixV) : sectionPos, 'expected 1-64 letters, digits, _ . : -');
  const maxLenV = get('stream_maxlen');
  const streamMaxLen = maxLenV ? Number(maxLenV.value.trim()) : FLEET_DEFAULTS.streamMaxLen;
  if (!Number.isInteger(streamMaxLen) || streamMaxLen < 1 || streamMaxLen > 100_000_000) throw new ConfigError(withValue(maxLenV!), 'expected a whole number of entries, 1-100000000');
  const tlsKeys = ['tls_ca', 'tls_cert', 'tls_key'].map(get);
  const tlsGiven = tlsKeys.find((v) => v !== undefined);
  if (tlsGiven && !(target.kind === 'tcp' && target.tls)) throw new ConfigError(withValue(tlsGiven), 'TLS files need a rediss:// url');
  const [ca, cert, key] = tlsKeys.map(pem);
  if ((cert === undefined) !== (key === undefined)) throw new ConfigError(withValue((tlsKeys[1] ?? tlsKeys[2])!), 'tls_cert and tls_key go together');
  const tls: FleetTls | undefined = target.kind === 'tcp' && target.tls
    ? { ...(ca === undefined ? {} : { ca }), ...(cert === undefined ? {} : { cert }), ...(key === undefined ? {} : { key }) }
    : undefined;
  return {
    target, displayUrl: redactUrl(url.value.trim()), ...(tls ? { tls } : {}),
    node: name('node', hostname().split('.')[0]!.slice(0, 64) || 'localhost'),
    share: patterns(get('share'), 'share'),
    accept: patterns(get('accept'), 'accept'),
    jail: name('jail', FLEET_DEFAULTS.jail),
    maxPrefixV4: prefixWidth(get('max_prefix_v4'), 32, FLEET_DEFAULTS.maxPrefixV4),
    maxPrefixV6: prefixWidth(get('max_prefix_v6'), 128, FLEET_DEFAULTS.maxPrefixV6),
    prefix,
    streamMaxLen,
  };
}
