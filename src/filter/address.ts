/**
 * Canonical address text for a filter hit: IPv4 in plain dotted decimal
 * (leading zeros read as decimal, never octal), IPv6 in RFC 5952 form
 * (ipaddr.js), IPv4-mapped IPv6 as IPv4, prefixes as `network/len`
 * (`/32` and `/128` dropped). Anything else is not an address: null.
 */
import ipaddr from 'ipaddr.js';

const V4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

function v4Octets(text: string): number[] | null {
  const m = V4.exec(text);
  if (!m) return null;
  const o = [Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4])];
  return o.every((x) => x <= 255) ? o : null;
}

function v4Text(o: readonly number[], prefix: number): string {
  if (prefix >= 32) return o.join('.');
  const n = ((o[0]! << 24) | (o[1]! << 16) | (o[2]! << 8) | o[3]!) >>> 0;
  const masked = prefix === 0 ? 0 : (n & (~0 << (32 - prefix))) >>> 0;
  return `${[masked >>> 24, (masked >>> 16) & 255, (masked >>> 8) & 255, masked & 255].join('.')}/${prefix}`;
}

/**
 * Canonical text of `ip` (optionally with a prefix length `cidr`), or null if
 * `ip` is not a valid address or the prefix is out of range.
 */
export function canonicalAddress(ip: string, cidr?: string): string | null {
  const text = ip.startsWith('[') && ip.endsWith(']') ? ip.slice(1, -1) : ip;
  const o = v4Octets(text);
  if (o !== null) {
    const prefix = cidr === undefined ? 32 : Number(cidr);
    return Number.isInteger(prefix) && prefix >= 0 && prefix <= 32 ? v4Text(o, prefix) : null;
  }
  if (!text.includes(':') || !ipaddr.IPv6.isValid(text)) return null;
  const a = ipaddr.IPv6.parse(text);
  const prefix = cidr === undefined ? 128 : Number(cidr);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > 128) return null;
  if (a.isIPv4MappedAddress() && (cidr === undefined || prefix >= 96)) {
    return v4Text(a.toIPv4Address().octets, prefix - 96);
  }
  if (prefix === 128) return a.toRFC5952String();
  return `${ipaddr.IPv6.networkAddressFromCIDR(`${text}/${prefix}`).toRFC5952String()}/${prefix}`;
}
