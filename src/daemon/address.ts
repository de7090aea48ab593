/**
 * Addresses typed by an admin (ban, unban, ignoreip): parsed with ipaddr.js
 * into the canonical text the filter produces, so `2001:DB8::0:1` and
 * `2001:db8::1` are one ban. A prefix keeps its length and loses host bits.
 */
import ipaddr from 'ipaddr.js';
import { ApiError } from './api.js';

/** Canonical text of an address or CIDR prefix; throws ApiError(bad-address). */
export function canonicalAddr(text: string): string {
  const t = text.trim();
  try {
    if (t.includes('/')) {
      const [addr, len] = ipaddr.parseCIDR(t);
      const full = addr.kind() === 'ipv4' ? 32 : 128;
      if (len === full) return canonicalAddr(addr.toString());
      const net = addr.kind() === 'ipv4'
        ? ipaddr.IPv4.networkAddressFromCIDR(t)
        : ipaddr.IPv6.networkAddressFromCIDR(t);
      return `${net.toString()}/${len}`;
    }
    return ipaddr.process(t).toString();
  } catch {
    throw new ApiError('bad-address', `not an IP address or prefix: ${JSON.stringify(text)}`);
  }
}

/** True when `banned` (address or prefix) covers `addr` (an address). */
export function covers(banned: string, addr: string): boolean {
  if (!banned.includes('/')) return banned === addr;
  try {
    const a = ipaddr.process(addr);
    const [net, len] = ipaddr.parseCIDR(banned);
    return a.kind() === net.kind() && a.match(net, len);
  } catch {
    return false;
  }
}
