/**
 * Names and markers of f2b-fw's nftables objects: the table, the ownership
 * marker, per-jail set names, rule comments, and which set an address goes to.
 */
import { createHash } from 'node:crypto';
import { DEFAULTS } from '../../core/defaults.js';
import { F2bError } from '../../core/errors.js';
import { table } from '../../../native/nftables/table.js';
import type { NftTable } from '../../../native/nftables/family.js';
import type { IpVersion } from '../../../native/nftables/set.js';
import type { RuleBody } from '../../../native/nftables/rule.js';
import { prefixBounds, type IntervalBounds } from '../../../native/nftables/element.js';
import { bytesText, ipv6Hextets } from '../../core/ip-text.js';
import { addressBytes, canonicalText } from '../../core/address.js';

/** The one table f2b-fw owns. */
export const TABLE: NftTable = table(DEFAULTS.family, DEFAULTS.table);

/** Name of the counter whose presence marks the table as f2b-fw's. */
export const MARKER_NAME = 'managed-by-f2b-fw';
/** Its comment, shown by `nft list ruleset`. */
export const MARKER_COMMENT = 'this table is managed by f2b-fw: f2b-fw reconcile rewrites it';

/** Prefix of every rule comment f2b-fw writes. */
export const RULE_PREFIX = 'f2b-fw ';

/** Single addresses live in a hash set, prefixes in an interval set. */
export type SetKind = 'addr' | 'net';

/** Every set a jail has: (version, kind) pairs. */
export const JAIL_SETS: readonly { readonly version: IpVersion; readonly kind: SetKind }[] = [
  { version: 4, kind: 'addr' }, { version: 6, kind: 'addr' }, { version: 4, kind: 'net' }, { version: 6, kind: 'net' },
];

/** `sshd-v4`, `sshd-v6`, `sshd-v4-net`, `sshd-v6-net`. */
export function setName(jail: string, version: IpVersion, kind: SetKind): string {
  return `${jail}-v${version}${kind === 'net' ? '-net' : ''}`;
}

/** Reads a set name back; undefined for names f2b-fw does not use. */
export function parseSetName(name: string): { jail: string; version: IpVersion; kind: SetKind } | undefined {
  const m = /^(.+)-v([46])(-net)?$/.exec(name);
  if (!m) return undefined;
  return { jail: m[1] as string, version: m[2] === '4' ? 4 : 6, kind: m[3] ? 'net' : 'addr' };
}

/**
 * The comment of a rule: jail, hook, and a digest of chain + body, so a rule
 * changed in the configuration (ports, protocol, verdict) no longer matches
 * and is replaced.
 */
export function ruleComment(jail: string, chain: string, body: RuleBody): string {
  const digest = createHash('sha256').update(JSON.stringify([chain, body])).digest('hex').slice(0, 12);
  return `${RULE_PREFIX}${jail} ${chain} ${digest}`;
}

/** The jail a rule comment names; undefined for rules f2b-fw did not write. */
export function ruleJail(comment: string | undefined): string | undefined {
  if (!comment?.startsWith(RULE_PREFIX)) return undefined;
  return comment.slice(RULE_PREFIX.length).split(' ')[0];
}

/** Where an address or prefix goes: IP version, set kind and the element text. */
export interface AddrTarget {
  readonly version: IpVersion;
  readonly kind: SetKind;
  /** Canonical text: `192.0.2.1` or `198.51.100.0/24`. */
  readonly text: string;
}

const DOTTED = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/**
 * Classifies a ban address (the one address definition, src/core/address.ts);
 * a full-length prefix is a single address, an IPv4-mapped IPv6 address is
 * IPv4. Throws on garbage. Canonical dotted quads take a fast path (100,000
 * bans must not cost seconds).
 */
export function addrTarget(addr: string): AddrTarget {
  if (DOTTED.test(addr)) return { version: 4, kind: 'addr', text: addr };
  const text = canonicalText(addr);
  if (text === null) throw new F2bError('bad-address', `not an IP address or prefix: ${JSON.stringify(addr)}`);
  return { version: text.includes(':') ? 6 : 4, kind: text.includes('/') ? 'net' : 'addr', text };
}

/**
 * The kernel key of a single address (an `AddrTarget` of kind `addr`): 4 or
 * 16 bytes in network order.
 */
export function addrKey(t: AddrTarget): Buffer {
  if (t.version === 4) {
    const p = t.text.split('.');
    return Buffer.from([Number(p[0]), Number(p[1]), Number(p[2]), Number(p[3])]);
  }
  const g = ipv6Hextets(t.text);
  if (!g || t.kind !== 'addr') throw new F2bError('bad-address', `not a single IPv6 address: ${JSON.stringify(t.text)}`);
  const key = Buffer.allocUnsafe(16);
  for (let i = 0; i < 8; i++) key.writeUInt16BE(g[i] as number, i * 2);
  return key;
}

/** Strict dotted quad (no leading zeros, as DOTTED) into `key` at `at`; false when it is not one. */
function dottedInto(s: string, key: Buffer, at: number): boolean {
  let part = 0;
  let value = 0;
  let digits = 0;
  for (let i = 0; i <= s.length; i++) {
    const c = i < s.length ? s.charCodeAt(i) : 46;
    if (c === 46) {
      if (digits === 0 || part > 3 || value > 255) return false;
      key[at + part++] = value;
      value = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && value === 0) return false; // leading zero
      value = value * 10 + (c - 48);
      if (++digits > 3) return false;
    } else return false;
  }
  return part === 4;
}

/** Groups parsed by ipv6Into (scratch, reused). */
const groupScratch = new Uint16Array(8);

/** Plain IPv6 text (hex groups, at most one `::`, no dotted tail, no zone) into `key` at `at`; false otherwise. */
function ipv6Into(s: string, key: Buffer, at: number): boolean {
  const groups = groupScratch;
  let n = 0;
  let gap = -1;
  let i = 0;
  const len = s.length;
  if (len >= 2 && s.charCodeAt(0) === 58 && s.charCodeAt(1) === 58) {
    gap = 0;
    i = 2;
  }
  while (i < len) {
    let value = 0;
    let digits = 0;
    for (; i < len; i++) {
      const c = s.charCodeAt(i);
      const h = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1;
      if (h < 0) break;
      value = value * 16 + h;
      digits++;
    }
    if (digits === 0 || digits > 4 || n === 8) return false;
    groups[n++] = value;
    if (i === len) break;
    if (s.charCodeAt(i) !== 58 || ++i === len) return false;
    if (s.charCodeAt(i) === 58) {
      if (gap >= 0) return false;
      gap = n;
      i++;
    }
  }
  if (gap < 0 ? n !== 8 : n > 7) return false;
  key.fill(0, at, at + 16);
  const shift = gap < 0 ? 0 : 8 - n;
  for (let g = 0; g < n; g++) {
    const o = at + (g < gap || gap < 0 ? g : g + shift) * 2;
    key[o] = (groups[g] as number) >> 8;
    key[o + 1] = (groups[g] as number) & 255;
  }
  return true;
}

/**
 * Fast path of `addrTarget` + `addrKey` for the common case (bulk bans): a
 * plain dotted quad or a plain IPv6 address has its key written to `out` at
 * `at` (4 or 16 bytes; `out` needs 16 from `at`) and its set version returned.
 * Anything else — prefixes, IPv4-mapped or dotted-tail IPv6, zones, garbage —
 * gives undefined: take `addrTarget`, which classifies it or throws.
 */
export function singleAddrKeyInto(addr: string, out: Buffer, at: number): IpVersion | undefined {
  if (addr.length <= 15 && addr.indexOf(':') < 0) return dottedInto(addr, out, at) ? 4 : undefined;
  if (addr.length > 39 || !ipv6Into(addr, out, at)) return undefined;
  // IPv4-mapped addresses go to the IPv4 set: leave them to addrTarget.
  if (out.readUInt32BE(at) === 0 && out.readUInt32BE(at + 4) === 0 && out.readUInt32BE(at + 8) === 0xffff) return undefined;
  return 6;
}

/**
 * Identity of an element in the reconcile maps (ActualState / DesiredState):
 * a single address is its key bytes as a latin1 string (cheap to make from a
 * dumped key and to compare), a prefix its canonical text.
 */
export function addrId(key: Buffer): string {
  return key.toString('latin1');
}

/** elementId's key, written and read at once (never kept). */
const scratchKey = Buffer.alloc(16);

/** Set version, kind and element identity (see addrId) of a ban address; throws on garbage like addrTarget. */
export function elementId(addr: string): { readonly version: IpVersion; readonly kind: SetKind; readonly id: string } {
  // One scratch key for all: a restore of 100,000 bans makes no Buffer per address.
  const version = singleAddrKeyInto(addr, scratchKey, 0);
  if (version !== undefined) return { version, kind: 'addr', id: scratchKey.toString('latin1', 0, version === 4 ? 4 : 16) };
  const t = addrTarget(addr);
  return { version: t.version, kind: t.kind, id: t.kind === 'addr' ? addrId(addrKey(t)) : t.text };
}

/**
 * The interval bounds of an interval-set element's identity: a canonical prefix text (`198.51.100.0/24`),
 * or a range that is no prefix as actual.ts reads one back (`a-b`, b the first address after it, or `a-end`),
 * which only someone else puts into our sets and a reconcile must be able to remove.
 */
export function netBounds(text: string): IntervalBounds {
  const dash = text.indexOf('-');
  if (dash > 0) {
    const start = addressBytes(text.slice(0, dash));
    const endText = text.slice(dash + 1);
    const end = endText === 'end' ? null : addressBytes(endText);
    if (!start || (end === null && endText !== 'end') || (end !== null && end.length !== start.length)) {
      throw new F2bError('bad-address', `not an IP range: ${JSON.stringify(text)}`);
    }
    return { start: Buffer.from(start), end: end && Buffer.from(end) };
  }
  const slash = text.indexOf('/');
  const addr = addressBytes(slash < 0 ? text : text.slice(0, slash));
  if (!addr) throw new F2bError('bad-address', `not an IP prefix: ${JSON.stringify(text)}`);
  return prefixBounds(addr, slash < 0 ? addr.length * 8 : Number(text.slice(slash + 1)));
}

/** Readable text of an element identity (see addrId) in a set of `kind`. */
export function idText(id: string, kind: SetKind): string {
  return kind === 'net' ? id : bytesText(Buffer.from(id, 'latin1'));
}
