/**
 * Whether an iptables filter table can hold an `f2b-*` chain, asked of the
 * kernel without starting a program: the stale-chain sweep (stale.ts) ran
 * `iptables-save` four times at every start (legacy and nft, IPv4 and IPv6),
 * ~50 ms of the daemon's CPU and ~200 ms before the sources started, growing
 * with the heap (each fork copies its page tables: ~250 ms with 100,000 bans
 * restored), on hosts where no such table exists at all.
 *
 * - legacy: the kernel lists the x_tables it holds in
 *   /proc/net/ip_tables_names (ip6_tables_names); `iptables-legacy-save`
 *   dumps exactly those. No `filter` line (or no file: module not loaded)
 *   means no filter table to read.
 * - nft: iptables-nft keeps its chains, by their iptables names, in
 *   nftables table `ip filter` (`ip6 filter`): one chain dump over netlink
 *   says whether one of them is named `f2b-*`. A jump needs its target
 *   chain, so none of those means nothing to clean up either.
 *
 * Both read the caller's network namespace, as the `*-save` programs do.
 */
import { readFileSync } from 'node:fs';
import type { IpsetFamily } from '../../native/ipset/messages.js';
import { TableDump } from '../../native/nftables/dump.js';
import { PREFIX, type IptablesVariant } from './iptables.js';

/** True when `variant`'s filter table for `family` may hold an `f2b-*` chain (false: no need to read it). */
export type FilterPresence = (variant: IptablesVariant, family: IpsetFamily) => Promise<boolean>;

/** The x_tables list of the legacy backend for a family. */
const LEGACY_NAMES: Readonly<Record<IpsetFamily, string>> = { inet: '/proc/net/ip_tables_names', inet6: '/proc/net/ip6_tables_names' };

/** True when the legacy kernel tables of `family` include `filter`. */
function legacyFilterLoaded(family: IpsetFamily): boolean {
  try {
    return readFileSync(LEGACY_NAMES[family], 'utf8').split('\n').includes('filter');
  } catch {
    return false;
  }
}

/** True when nftables table `ip filter` (`ip6 filter`) holds a chain named `f2b-*`. */
async function nftHasF2bChain(family: IpsetFamily): Promise<boolean> {
  const dump = TableDump.open(family === 'inet' ? 'ip' : 'ip6', 'filter');
  try {
    return (await dump.chains()).some((c) => c.name.startsWith(PREFIX));
  } finally {
    dump.close();
  }
}

/** The kernel's answer, for the daemon and `f2b-fw reconcile` (which run `*-save` in their own namespace). */
export const kernelFilterPresence: FilterPresence = async (variant, family) =>
  variant === 'legacy' ? legacyFilterLoaded(family) : nftHasF2bChain(family);
