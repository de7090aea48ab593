/**
 * The kernel-side view of the configuration: what every firewall driver
 * (nftables, ipset + iptables, null) builds. Produced from the loaded config
 * by `firewallLayout()` (src/fw/spec.ts), validated before any kernel change.
 */

/** A hook a jail's rule attaches to. */
export type Hook = 'input' | 'forward' | 'prerouting';

/** Transport protocols a jail can match ports for. */
export type Protocol = 'tcp' | 'udp' | 'sctp' | 'dccp';

/** An inclusive port range; a single port has `from === to`. */
export interface PortRange {
  readonly from: number;
  readonly to: number;
}

/** What happens to banned traffic. `reject` = tcp reset / icmp(v6) port-unreachable. */
export type Verdict = 'drop' | 'reject';

/** One jail as the firewall sees it. */
export interface JailFirewall {
  readonly name: string;
  /** `all`: every port of every protocol (fail2ban's `port = all`). */
  readonly ports: 'all' | readonly PortRange[];
  /** Protocols matched when `ports` is a list; ignored for `all`. */
  readonly protocols: readonly Protocol[];
  readonly hooks: readonly Hook[];
  readonly verdict: Verdict;
  /** Most elements each of the jail's sets holds (`maxelem`); bans beyond it stay in the store only. */
  readonly maxelem: number;
}

/** Everything a driver needs to build the kernel state (bans aside). */
export interface FirewallLayout {
  /** Base chain priority (nftables numeric priority; filter = 0). */
  readonly priority: number;
  readonly jails: readonly JailFirewall[];
}
