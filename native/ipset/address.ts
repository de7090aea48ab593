/**
 * Address text ⟷ bytes for ipset elements (100,000-element loads and dumps
 * go through here twice per element), on the one address definition of
 * src/core/address.ts: IPv4 dotted decimal (never octal), IPv6 without zones.
 * Output text is canonical: dotted quad, or RFC 5952 IPv6.
 */
import { addressBytes, canonicalAddress } from '../../src/core/address.js';

/** Address text to 4 or 16 bytes; throws on text that is no address. */
export function addrToBytes(text: string): Uint8Array {
  const b = addressBytes(text);
  if (b === null) throw new Error(`not an IP address: ${JSON.stringify(text)}`);
  return b;
}

/**
 * Canonical text of an address, IPv4-mapped IPv6 turned into IPv4; throws on
 * text that is no address.
 */
export function canonicalAddr(text: string): string {
  const canon = text.includes('/') ? null : canonicalAddress(text);
  if (canon === null) throw new Error(`not an IP address: ${JSON.stringify(text)}`);
  return canon;
}
