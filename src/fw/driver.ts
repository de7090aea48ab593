/**
 * The firewall driver interface. nftables (src/fw/nft/), ipset + iptables
 * (src/fw/ipset/) and null implement it; the ban manager and the reconcile
 * command only talk to this.
 */
import type { Ban } from '../core/records.js';
import type { FirewallLayout } from './layout.js';
import type { Plan } from './plan.js';
import type { DriverCapabilities } from './capabilities.js';

/** An address or prefix to remove from a jail. */
export interface BanKey {
  readonly jail: string;
  readonly addr: string;
}

/** Options for reconcile. */
export interface ReconcileOptions {
  /** Compute and return the plan without changing anything. */
  readonly dryRun?: boolean;
  /** Take over a table/chain named like ours that lacks our marker. */
  readonly force?: boolean;
}

/** Bans a driver left out of the kernel because a jail's set was at its `maxelem` (they stay in the store). */
export interface SetFull {
  readonly jail: string;
  readonly skipped: number;
  readonly maxelem: number;
}

/** What `ban` did beyond adding: the sets that were full. */
export interface BanOutcome {
  readonly full: readonly SetFull[];
}

/**
 * One firewall backend. nftables: every method is one atomic kernel
 * transaction. iptables + ipset: element changes are one netlink request per
 * element, each applied or refused on its own (not atomic across elements);
 * chains are written by one `*-restore --noflush` per family (atomic per
 * family); a set whose parameters change is swapped in empty (docs/ipset-backend.md).
 */
export interface FirewallDriver {
  /** Short name for logs and status: `nftables`, `iptables-ipset`, `null`. */
  readonly name: string;
  /** What it can do (the daemon never tests `name`). */
  readonly capabilities: DriverCapabilities;
  /**
   * Brings the kernel to `layout` holding exactly `bans` (expired ones skipped),
   * removing what is ours but unwanted; returns the plan (empty when in sync).
   */
  reconcile(layout: FirewallLayout, bans: readonly Ban[], options?: ReconcileOptions): Promise<Plan>;
  /**
   * Adds bans; an address already banned gets its timeout refreshed. A set at
   * its maxelem takes no new element: those are skipped (never a failed
   * batch) and reported in the outcome.
   */
  ban(bans: readonly Ban[]): Promise<BanOutcome | void>;
  /** Removes bans; removing an address that is not banned is not an error. */
  unban(keys: readonly BanKey[]): Promise<void>;
  /** Removes every ban of one jail. */
  unbanAll(jail: string): Promise<void>;
  /** Bans the kernel holds now (of one jail, or all), with their expiry. */
  list(jail?: string): Promise<Ban[]>;
  /** Releases handles (FFI context, sockets). */
  close(): Promise<void>;
}
