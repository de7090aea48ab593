/**
 * Prefixes at the daemon's API: the limits a manual ban of a CIDR must keep
 * (never `0.0.0.0/0` or `::/0`, never wider than the jail's floor, split
 * around ignored addresses), which banned prefix holds an address an admin tried to
 * unban, and the log line of a prefix that ignoreip kept from a ban.
 */
import type { Decision } from '../core/records.js';
import type { Logger } from '../core/log.js';
import { netOf } from '../core/prefix.js';
import type { BanStore } from '../bans/store.js';
import type { Jail } from '../jail/jail.js';
import { ApiError } from './api.js';

/**
 * Refuses a manual ban of `addr` (canonical) in `jail` that is too wide, or wholly
 * ignored; returns the ignored networks inside a prefix that the ban leaves out.
 */
export function checkManualBan(jail: Jail, addr: string): readonly string[] {
  const net = netOf(addr);
  if (net === null) throw new ApiError('bad-address', `not an IP address or prefix: ${JSON.stringify(addr)}`);
  const { name, floor } = jail.settings;
  const min = net.v6 ? floor.v6 : floor.v4;
  if (net.bits === 0) throw new ApiError('bad-address', `refusing to ban ${addr}: that is every ${net.v6 ? 'IPv6' : 'IPv4'} address`);
  if (net.bits < min) {
    throw new ApiError('bad-address', `refusing to ban ${addr}: wider than /${min}, the widest ban jail ${name} allows (${net.v6 ? 'ipv6' : 'ipv4'}_prefix_floor)`);
  }
  if (!addr.includes('/')) return [];
  const except = jail.exceptions(addr);
  if (except === null) {
    throw new ApiError('bad-address', `refusing to ban ${addr} in ${name}: it is ignored (ignoreip, or this host with ignoreself), or holds too many ignored addresses to leave out`);
  }
  return except;
}

/** For addresses that were not banned themselves: the prefix bans (of `jails`) that hold them. */
export function heldBy(store: BanStore, addrs: readonly string[], jails: readonly string[], now: number): { addr: string; jail: string; prefix: string }[] {
  return addrs.flatMap((addr) => store.holding(addr, now)
    .filter((b) => jails.includes(b.jail))
    .map((b) => ({ addr, jail: b.jail, prefix: b.addr })));
}

/** Logs that ignoreip kept a decision from banning its prefix (the narrower ban goes ahead). */
export function logRefusedPrefix(log: Logger, d: Decision): void {
  if (d.refused === undefined) return;
  log.warn({ event: 'prefix-refused', jail: d.jail, addr: d.addr, prefix: d.refused },
    `[${d.jail}] not banning ${d.refused}: it holds an ignored address (ignoreip/ignoreself); banning ${d.addr} alone`);
}
