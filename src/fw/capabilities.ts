/**
 * What a firewall backend can do, declared by each driver instead of tested
 * by its name: the daemon wires self-healing, the stale-chain sweep and the
 * dry-run store from these, and the configuration check refuses a layout the
 * chosen backend cannot build (prerouting) before anything is opened.
 */

/** One backend's capabilities. */
export interface DriverCapabilities {
  /** Changes reach the kernel; false for the null backend (a dry run: nothing touched, no real store). */
  readonly kernel: boolean;
  /** The kernel reports foreign ruleset changes as netlink events, so repairs follow them at once. */
  readonly rulesetEvents: boolean;
  /** A periodic check (generation or full reconcile) repairs what events do not report. */
  readonly periodicRepair: boolean;
  /** Stale `f2b-*` iptables chains need the daemon's own sweep (the driver's reconcile does not see iptables). */
  readonly staleChainSweep: boolean;
  /** A jail may attach to the prerouting hook. */
  readonly prerouting: boolean;
}

/** nftables sets in table `inet f2b-fw`. */
export const NFTABLES_CAPABILITIES: DriverCapabilities = {
  kernel: true, rulesetEvents: true, periodicRepair: true, staleChainSweep: true, prerouting: true,
};

/** ipsets with iptables chains (its reconcile removes stale chains itself). */
export const IPSET_CAPABILITIES: DriverCapabilities = {
  kernel: true, rulesetEvents: false, periodicRepair: true, staleChainSweep: false, prerouting: false,
};

/** The null backend: a dry run. */
export const NULL_CAPABILITIES: DriverCapabilities = {
  kernel: false, rulesetEvents: false, periodicRepair: false, staleChainSweep: false, prerouting: true,
};
