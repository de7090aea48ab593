/**
 * fail2ban's `banaction` names mapped onto our two kernel backends: plain
 * data, so the configuration loader (action classification) can read it
 * without loading the backends themselves (netlink sockets through koffi) into
 * client commands like `f2b-fw ping`.
 */

/** A kernel backend: nftables sets, or ipsets with iptables chains. */
export type KernelBackend = 'nftables' | 'iptables-ipset';
/** What `banaction` may ask for: a backend, or `auto` (nftables where usable). */
export type Banaction = KernelBackend | 'auto';

/** `banaction` names (ours and fail2ban's action files) → backend. */
export const BANACTIONS: Readonly<Record<string, Banaction>> = {
  auto: 'auto',
  nftables: 'nftables',
  'nftables-multiport': 'nftables',
  'nftables-allports': 'nftables',
  'iptables-ipset': 'iptables-ipset',
  'iptables-ipset-proto4': 'iptables-ipset',
  'iptables-ipset-proto6': 'iptables-ipset',
  'iptables-ipset-proto6-allports': 'iptables-ipset',
  iptables: 'iptables-ipset',
  'iptables-new': 'iptables-ipset',
  'iptables-multiport': 'iptables-ipset',
  'iptables-multiport-log': 'iptables-ipset',
  'iptables-allports': 'iptables-ipset',
};

/** The backend when no `banaction` is set anywhere. */
export const DEFAULT_BANACTION: Banaction = 'auto';
