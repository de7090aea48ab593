/**
 * The one definition of an address or prefix, for every path (filter hits,
 * `f2b-fw ban`/`unban`/`banned`, ignoreip and ignoreself, the kernel element
 * keys of both backends): IPv4 in plain dotted decimal (leading zeros read as
 * decimal, never octal: `010.0.0.1` is 10.0.0.1 everywhere), IPv6 in RFC 5952
 * form, IPv4-mapped IPv6 as IPv4, prefixes as `network/len` (`/32` and `/128`
 * dropped, host bits cleared). Anything else is not an address: null.
 * Hand-written scanners (src/core/ip-text.ts), no library: this runs once per
 * failure and once per ban element.
 */
import { ipv4Octets, ipv6Hextets, ipv6Text } from './ip-text.js';

function v4Text(o: readonly number[], prefix: number): string {
  if (prefix >= 32) return `${o[0]}.${o[1]}.${o[2]}.${o[3]}`;
  const n = ((o[0]! << 24) | (o[1]! << 16) | (o[2]! << 8) | o[3]!) >>> 0;
  const masked = prefix === 0 ? 0 : (n & (~0 << (32 - prefix))) >>> 0;
  return `${[masked >>> 24, (masked >>> 16) & 255, (masked >>> 8) & 255, masked & 255].join('.')}/${prefix}`;
}

function maskV6(h: readonly number[], prefix: number): number[] {
  return h.map((x, i) => {
    const bits = Math.min(Math.max(prefix - i * 16, 0), 16);
    return bits === 0 ? 0 : x & (0xffff << (16 - bits)) & 0xffff;
  });
}

/**
 * Canonical text of `ip` (optionally with a prefix length `cidr`), or null if
 * `ip` is not a valid address or the prefix is out of range.
 */
export function canonicalAddress(ip: string, cidr?: string): string | null {
  const text = ip.startsWith('[') && ip.endsWith(']') ? ip.slice(1, -1) : ip;
  const o = ipv4Octets(text);
  if (o !== null) {
    const prefix = cidr === undefined ? 32 : Number(cidr);
    return Number.isInteger(prefix) && prefix >= 0 && prefix <= 32 ? v4Text(o, prefix) : null;
  }
  if (!text.includes(':')) return null;
  const h = ipv6Hextets(text);
  const prefix = cidr === undefined ? 128 : Number(cidr);
  if (h === null || !Number.isInteger(prefix) || prefix < 0 || prefix > 128) return null;
  const mapped = h[0] === 0 && h[1] === 0 && h[2] === 0 && h[3] === 0 && h[4] === 0 && h[5] === 0xffff;
  if (mapped && prefix >= 96) return v4Text([h[6]! >> 8, h[6]! & 255, h[7]! >> 8, h[7]! & 255], prefix - 96);
  if (prefix === 128) return ipv6Text(h);
  return `${ipv6Text(maskV6(h, prefix))}/${prefix}`;
}

/**
 * A prefix length as written after `/` or in a setting (`ipv6_prefix_floor = 64`):
 * one to three decimal digits, at most `max`; null for anything else (signs,
 * spaces, `1e2`, `0x10`). The one reader of prefix lengths.
 */
export function prefixLength(text: string, max: number): number | null {
  if (!/^\d{1,3}$/.test(text)) return null;
  const n = Number(text);
  return n <= max ? n : null;
}

/** Canonical text of `addr` or `addr/len` (brackets allowed around the address), or null. */
export function canonicalText(text: string): string | null {
  const slash = text.indexOf('/');
  if (slash < 0) return canonicalAddress(text);
  const len = text.slice(slash + 1);
  return prefixLength(len, 128) !== null ? canonicalAddress(text.slice(0, slash), len) : null;
}

/**
 * The kernel key of one address: 4 bytes for dotted decimal, 16 for IPv6
 * (kept as written: an IPv4-mapped address stays 16 bytes), network order;
 * null for anything else (prefixes and zones included).
 */
export function addressBytes(text: string): Uint8Array | null {
  const o = ipv4Octets(text);
  if (o !== null) return Uint8Array.from(o);
  const h = text.includes(':') ? ipv6Hextets(text) : null;
  if (h === null) return null;
  const out = new Uint8Array(16);
  for (let i = 0; i < 8; i++) { out[i * 2] = h[i]! >> 8; out[i * 2 + 1] = h[i]! & 0xff; }
  return out;
}
