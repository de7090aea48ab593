/**
 * Address text ⟷ bytes for ipset elements (100,000-element loads and dumps
 * go through here twice per element), on the shared scanners of
 * src/core/ip-text.ts; IPv6 forms they refuse (zones) go to ipaddr.js. IPv4
 * must be a plain dotted quad (no octal, hex or short forms). Output text is
 * canonical: dotted quad, or RFC 5952 IPv6 (identical to ipaddr.js's `toString()`).
 */
import ipaddr from 'ipaddr.js';
import { bytesText, ipv6Hextets } from '../../src/core/ip-text.js';

const V4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

/** Address text to 4 or 16 bytes; throws on text that is no address. */
export function addrToBytes(text: string): Uint8Array {
  const m = V4.exec(text);
  if (m) return Uint8Array.of(Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4]));
  const h = text.includes(':') ? ipv6Hextets(text) : null;
  if (h) {
    const out = new Uint8Array(16);
    for (let i = 0; i < 8; i++) { out[i * 2] = h[i]! >> 8; out[i * 2 + 1] = h[i]! & 0xff; }
    return out;
  }
  if (!text.includes(':')) throw new Error(`not an IP address: ${JSON.stringify(text)}`);
  return Uint8Array.from(ipaddr.IPv6.parse(text).toByteArray());
}

/**
 * Canonical text of an address, IPv4-mapped IPv6 turned into IPv4 (as
 * ipaddr.process does); throws on text that is no address.
 */
export function canonicalAddr(text: string): string {
  if (V4.test(text)) return text;
  const b = addrToBytes(text);
  if (b.length === 16 && b.subarray(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff) return bytesText(b.subarray(12));
  return bytesText(b);
}
