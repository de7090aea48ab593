/**
 * Networks as numbers: an address or CIDR prefix in canonical text (as the
 * filter and canonicalAddr produce it) ⟷ `{ v6, base, bits }`, containment,
 * overlap, and the counting key of an address (its prefix of a given length).
 * Text is read with the scanners of ip-text.ts; this module only does the
 * arithmetic the prefix bans need (escalation, folding, ignoreip checks).
 */
import { canonicalAddress, prefixLength } from './address.js';
import { ipv4Octets, ipv6Hextets, ipv6Text } from './ip-text.js';

/** One network: family, first address as a number, prefix length. */
export interface Net {
  readonly v6: boolean;
  readonly base: bigint;
  readonly bits: number;
}

/** Address width of a family in bits. */
export const fullBits = (v6: boolean): number => (v6 ? 128 : 32);

/** The network of a canonical address or prefix text (host bits cleared), or null when it is neither. */
export function netOf(text: string): Net | null {
  const slash = text.indexOf('/');
  const ip = slash < 0 ? text : text.slice(0, slash);
  const o = ipv4Octets(ip);
  let v6 = false;
  let n = 0n;
  if (o !== null) {
    n = BigInt(((o[0]! << 24) | (o[1]! << 16) | (o[2]! << 8) | o[3]!) >>> 0);
  } else {
    const h = ip.includes(':') ? ipv6Hextets(ip) : null;
    if (h === null) return null;
    v6 = true;
    // Three exact Numbers (48 + 48 + 32 bits) and three BigInt steps, not sixteen: this runs for every failure line.
    const hi = ((h[0]! * 0x10000 + h[1]!) * 0x10000) + h[2]!;
    const mid = ((h[3]! * 0x10000 + h[4]!) * 0x10000) + h[5]!;
    n = (BigInt(hi) << 80n) | (BigInt(mid) << 32n) | BigInt(h[6]! * 0x10000 + h[7]!);
  }
  const full = fullBits(v6);
  const bits = slash < 0 ? full : prefixLength(text.slice(slash + 1), full);
  if (bits === null) return null;
  return { v6, base: n & mask(v6, bits), bits };
}

/** The masks of `bits` = 0…full leading ones of a family, made once (the ignoreip checks of every failure line use them). */
function masks(full: number): readonly bigint[] {
  return Array.from({ length: full + 1 }, (_, bits) => ((1n << BigInt(full)) - 1n) ^ ((1n << BigInt(full - bits)) - 1n));
}
const MASKS_V4 = masks(32);
const MASKS_V6 = masks(128);

/** The network mask of `bits` leading ones. */
function mask(v6: boolean, bits: number): bigint {
  return (v6 ? MASKS_V6 : MASKS_V4)[bits]!;
}

/** True when `outer` contains every address of `inner`. */
export function netContains(outer: Net, inner: Net): boolean {
  return outer.v6 === inner.v6 && outer.bits <= inner.bits && (inner.base & mask(outer.v6, outer.bits)) === outer.base;
}

/** True when the two networks share an address. */
export function netsOverlap(a: Net, b: Net): boolean {
  return netContains(a, b) || netContains(b, a);
}

/** True when `text` (canonical) is a prefix rather than one address. */
export function isPrefixText(text: string): boolean {
  return text.includes('/');
}

/**
 * The counting key of a canonical address or prefix: its prefix of `v4` / `v6`
 * bits (canonical text, `/32` and `/128` dropped), or the text itself when it
 * is already that narrow or wider. One scan of the text; null when unreadable.
 */
export function prefixKey(addr: string, v4: number, v6: number): string | null {
  const slash = addr.indexOf('/');
  const ip = slash < 0 ? addr : addr.slice(0, slash);
  const isV6 = ip.includes(':');
  const want = isV6 ? v6 : v4;
  const have = slash < 0 ? fullBits(isV6) : Number(addr.slice(slash + 1));
  if (have <= want) return addr;
  return canonicalAddress(ip, String(want));
}

/** Canonical text of a network (`/32` and `/128` dropped). */
export function netText(n: Net): string {
  const full = fullBits(n.v6);
  let text: string;
  if (!n.v6) {
    const x = Number(n.base);
    text = `${x >>> 24}.${(x >>> 16) & 255}.${(x >>> 8) & 255}.${x & 255}`;
  } else {
    const h: number[] = [];
    for (let i = 7; i >= 0; i--) h.push(Number((n.base >> BigInt(i * 16)) & 0xffffn));
    text = ipv6Text(h);
  }
  return n.bits === full ? text : `${text}/${n.bits}`;
}

/**
 * The networks of `net` without the `holes` (ignored addresses and prefixes),
 * as the fewest CIDR prefixes that cover exactly the rest: a /64 without one
 * address is 64 prefixes. Null when that would take more than `limit` prefixes.
 */
export function netWithout(net: Net, holes: readonly Net[], limit: number): Net[] | null {
  const out: Net[] = [];
  const walk = (n: Net, inside: readonly Net[]): boolean => {
    const touching = inside.filter((h) => netsOverlap(h, n));
    if (touching.length === 0) {
      out.push(n);
      return out.length <= limit;
    }
    if (touching.some((h) => netContains(h, n))) return true;
    const bits = n.bits + 1;
    const half = 1n << BigInt(fullBits(n.v6) - bits);
    return walk({ v6: n.v6, base: n.base, bits }, touching) && walk({ v6: n.v6, base: n.base | half, bits }, touching);
  };
  return walk(net, holes) ? out : null;
}

/**
 * What a ban of `addr` puts into the kernel: the address or prefix itself, or,
 * with `except` (ignored networks inside it), the prefixes of the rest.
 */
export function banPieces(addr: string, except: readonly string[] | undefined): string[] {
  if (except === undefined || except.length === 0) return [addr];
  const net = netOf(addr);
  if (net === null) return [addr];
  const holes = except.map(netOf).filter((n): n is Net => n !== null);
  return (netWithout(net, holes, Infinity) ?? []).map(netText);
}
