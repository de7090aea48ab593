/**
 * Addresses typed by an admin (ban, unban, banned, history): the one address
 * parser (src/core/address.ts), so `2001:DB8::0:1` and `2001:db8::1` are one
 * ban and `010.0.0.1` is 10.0.0.1 as in a log line. A prefix keeps its
 * length and loses host bits.
 */
import { canonicalText } from '../core/address.js';
import { netContains, netOf } from '../core/prefix.js';
import { ApiError } from './api.js';

/** Canonical text of an address or CIDR prefix; throws ApiError(bad-address). */
export function canonicalAddr(text: string): string {
  const canon = canonicalText(text.trim());
  if (canon === null) throw new ApiError('bad-address', `not an IP address or prefix: ${JSON.stringify(text)}`);
  return canon;
}

/** True when `banned` (canonical address or prefix) covers `addr` (a canonical address). */
export function covers(banned: string, addr: string): boolean {
  if (!banned.includes('/')) return banned === addr;
  const net = netOf(banned);
  const a = netOf(addr);
  return net !== null && a !== null && netContains(net, a);
}
