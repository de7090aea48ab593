/**
 * Environment checks for the kernel side: is the process allowed to change
 * the firewall, does the kernel have nf_tables, and what an errno means in
 * those terms. Every check names what is missing and how to get it.
 */
import { readFileSync, existsSync } from 'node:fs';
import { EnvironmentError } from '../src/core/errors.js';

/** Bit number of CAP_NET_ADMIN in the capability sets (linux/capability.h). */
export const CAP_NET_ADMIN = 12;

/** True when the effective capability set in `/proc/self/status` holds CAP_NET_ADMIN. */
export function hasNetAdmin(statusText: string = readFileSync('/proc/self/status', 'utf8')): boolean {
  const m = /^CapEff:\s*([0-9a-f]+)$/m.exec(statusText);
  if (!m) return false;
  return (BigInt(`0x${m[1]}`) & (1n << BigInt(CAP_NET_ADMIN))) !== 0n;
}

/** True unless the kernel visibly lacks nf_tables (not loaded, not loadable, not built in). */
export function kernelHasNfTables(): boolean {
  if (existsSync('/sys/module/nf_tables')) return true;
  try {
    const release = readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim();
    const builtin = readFileSync(`/lib/modules/${release}/modules.builtin`, 'utf8');
    if (/\/nf_tables\.ko/.test(builtin)) return true;
    return existsSync(`/lib/modules/${release}/kernel/net/netfilter/nf_tables.ko`)
      || existsSync(`/lib/modules/${release}/kernel/net/netfilter/nf_tables.ko.xz`)
      || existsSync(`/lib/modules/${release}/kernel/net/netfilter/nf_tables.ko.zst`);
  } catch {
    // No module tree to look at (containers): let the first kernel call decide.
    return true;
  }
}

/** The capability message, shared by the pre-check and the error translation. */
const NO_CAP = 'f2b-fw needs the CAP_NET_ADMIN capability to change the firewall: run it as root or grant CAP_NET_ADMIN (e.g. AmbientCapabilities=CAP_NET_ADMIN in the systemd unit)';
/** The missing-nf_tables message. */
const NO_NFT = 'the kernel has no nf_tables support (module nf_tables not loaded and not loadable): load it with `modprobe nf_tables` or use a kernel built with CONFIG_NF_TABLES';

/** Refuses early, before any kernel call, when CAP_NET_ADMIN or nf_tables is visibly missing. */
export function assertFirewallEnvironment(): void {
  if (!hasNetAdmin()) throw new EnvironmentError(NO_CAP);
  if (!kernelHasNfTables()) throw new EnvironmentError(NO_NFT);
}

/**
 * The EnvironmentError an errno from a socket call means (EPERM: no
 * CAP_NET_ADMIN; EPROTONOSUPPORT / EAFNOSUPPORT: no nf_tables or netlink
 * family), or undefined for an ordinary kernel error. Decided by the number,
 * not by a message text.
 */
export function environmentErrorForErrno(errno: number, detail: string): EnvironmentError | undefined {
  if (errno === 1) return new EnvironmentError(`${NO_CAP} (${detail})`);
  if (errno === 93 || errno === 97) return new EnvironmentError(`${NO_NFT} (${detail})`);
  return undefined;
}
