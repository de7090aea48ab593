/**
 * Constants of the ip_set nfnetlink protocol (linux/netfilter/ipset/ip_set.h,
 * ip_set_hash.h) and readable texts for its error numbers.
 *
 * A message's type is `(NFNL_SUBSYS_IPSET << 8) | command`; its payload is a
 * `struct nfgenmsg` followed by attributes. Every command carries
 * IPSET_ATTR_PROTOCOL. u32 attributes travel in network order with
 * NLA_F_NET_BYTEORDER set; DATA/ADT/IP are nested (NLA_F_NESTED).
 */

/** nfnetlink subsystem id of ip_set. */
export const NFNL_SUBSYS_IPSET = 6;
/** Protocol version we speak (the kernel accepts 6..7). */
export const IPSET_PROTOCOL = 7;
/** Longest set name, without the terminating NUL. */
export const IPSET_MAXNAMELEN = 31;
/** Longest element timeout the kernel keeps, in seconds ((UINT_MAX >> 1) / 1000); longer ones are cut to it. */
export const IPSET_MAX_TIMEOUT = 2147483;

/** Commands (enum ipset_cmd). */
export const CMD = {
  PROTOCOL: 1,
  CREATE: 2,
  DESTROY: 3,
  FLUSH: 4,
  RENAME: 5,
  SWAP: 6,
  LIST: 7,
  SAVE: 8,
  ADD: 9,
  DEL: 10,
  TEST: 11,
  HEADER: 12,
  TYPE: 13,
} as const;

/** Command-level attributes. */
export const ATTR = {
  PROTOCOL: 1,
  SETNAME: 2,
  TYPENAME: 3,
  SETNAME2: 3,
  REVISION: 4,
  FAMILY: 5,
  FLAGS: 6,
  DATA: 7,
  ADT: 8,
  LINENO: 9,
  REVISION_MIN: 10,
} as const;

/** Attributes inside DATA (create and element level). */
export const DATA_ATTR = {
  IP: 1,
  IP_TO: 2,
  CIDR: 3,
  TIMEOUT: 6,
  CADT_FLAGS: 8,
  HASHSIZE: 18,
  MAXELEM: 19,
  REFERENCES: 25,
  ELEMENTS: 24,
  MEMSIZE: 26,
} as const;

/** Attributes inside IPSET_ATTR_IP. */
export const IPADDR_ATTR = { IPV4: 1, IPV6: 2 } as const;

/** Netfilter protocol families (NFPROTO_*). */
export const NFPROTO = { IPV4: 2, IPV6: 10 } as const;

/** Command-level flags (IPSET_ATTR_FLAGS). */
export const CMD_FLAG = { LIST_SETNAME: 1 << 1, LIST_HEADER: 1 << 2 } as const;

/** ipset's private error numbers (above the errno range). */
export const IPSET_ERR = {
  PROTOCOL: 4097,
  FIND_TYPE: 4098,
  MAX_SETS: 4099,
  BUSY: 4100,
  EXIST_SETNAME2: 4101,
  TYPE_MISMATCH: 4102,
  EXIST: 4103,
  INVALID_CIDR: 4104,
  INVALID_NETMASK: 4105,
  INVALID_FAMILY: 4106,
  TIMEOUT: 4107,
  REFERENCED: 4108,
  IPADDR_IPV4: 4109,
  IPADDR_IPV6: 4110,
  HASH_FULL: 4352,
  HASH_ELEM: 4353,
} as const;

const ERROR_TEXT: Readonly<Record<number, string>> = {
  1: 'operation not permitted (needs CAP_NET_ADMIN)',
  2: 'the set does not exist',
  12: 'out of memory',
  13: 'permission denied',
  17: 'a set of that name exists with another type or other parameters',
  22: 'invalid argument',
  93: 'the ip_set kernel module or set type is not available',
  95: 'operation not supported by the kernel',
  4097: 'the kernel does not speak this ipset protocol version',
  4098: 'the kernel does not know this set type or revision',
  4099: 'the kernel ran out of set slots (max_sets)',
  4100: 'the set is in use by iptables rules',
  4101: 'the second set does not exist',
  4102: 'the sets have different types',
  4103: 'a set of that name exists with other parameters, or the element is already present / absent',
  4104: 'invalid prefix length',
  4105: 'invalid netmask',
  4106: 'the address family does not match the set',
  4107: 'the set was created without timeout support',
  4108: 'the set is referenced (by an iptables rule or a list:set)',
  4109: 'invalid IPv4 address',
  4110: 'invalid IPv6 address',
  4352: 'the set is full (maxelem reached)',
  4353: 'a zero-valued element cannot be stored',
};

/** A readable text for an error number the kernel returned for an ipset command. */
export function ipsetErrorText(errno: number): string {
  return ERROR_TEXT[errno] ?? `error ${errno}`;
}

/** The netlink message type of an ipset command. */
export function ipsetMsgType(cmd: number): number {
  return (NFNL_SUBSYS_IPSET << 8) | cmd;
}
