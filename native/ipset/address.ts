/**
 * Fast address text ⟷ bytes for ipset elements (100,000-element loads and
 * dumps go through here twice per element). Plain dotted quads and IPv6
 * without an embedded IPv4 part take a fast path; other IPv6 forms go to
 * ipaddr.js; IPv4 must be a plain dotted quad (no octal, hex or short forms). Output text is canonical: IPv4 dotted quad, IPv6 RFC 5952
 * (lower case, no leading zeros, the first longest run of two or more zero
 * groups written `::`), identical to ipaddr.js's `toString()`.
 */
import ipaddr from 'ipaddr.js';

const V4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;
const V6_GROUPS = /^[0-9a-fA-F]{1,4}$/;

function parseV6Fast(text: string): Uint8Array | undefined {
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const head = halves[0] === '' ? [] : halves[0]!.split(':');
  const tail = halves.length === 2 ? (halves[1] === '' ? [] : halves[1]!.split(':')) : [];
  const total = head.length + tail.length;
  if (halves.length === 1 ? total !== 8 : total > 7) return undefined;
  const out = new Uint8Array(16);
  const put = (groups: string[], start: number): boolean => {
    for (let i = 0; i < groups.length; i++) {
      const g = groups[i]!;
      if (!V6_GROUPS.test(g)) return false;
      const v = parseInt(g, 16);
      out[(start + i) * 2] = v >> 8;
      out[(start + i) * 2 + 1] = v & 0xff;
    }
    return true;
  };
  if (!put(head, 0) || !put(tail, 8 - tail.length)) return undefined;
  return out;
}

/** Address text to 4 or 16 bytes; throws on text that is no address. */
export function addrToBytes(text: string): Uint8Array {
  const m = V4.exec(text);
  if (m) return Uint8Array.of(Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4]));
  if (text.includes(':') && !text.includes('.') && !text.includes('%')) {
    const b = parseV6Fast(text);
    if (b) return b;
  }
  if (!text.includes(':')) throw new Error(`not an IP address: ${JSON.stringify(text)}`);
  return Uint8Array.from(ipaddr.IPv6.parse(text).toByteArray());
}

/** 4 or 16 bytes to canonical address text. */
export function bytesToAddr(b: Uint8Array): string {
  if (b.length === 4) return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((b[i]! << 8) | b[i + 1]!);
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

/**
 * Canonical text of an address, IPv4-mapped IPv6 turned into IPv4 (as
 * ipaddr.process does); throws on text that is no address.
 */
export function canonicalAddr(text: string): string {
  if (V4.test(text)) return text;
  const b = addrToBytes(text);
  if (b.length === 16 && b.subarray(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff) return bytesToAddr(b.subarray(12));
  return bytesToAddr(b);
}
