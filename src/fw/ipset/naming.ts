/**
 * Names of the kernel objects the iptables + ipset backend creates for a jail.
 *
 * Scheme (deterministic, documented in docs/ipset-backend.md):
 * - base name `f2b-<jail>`, fail2ban's own chain naming, when the jail name
 *   uses only `A-Z a-z 0-9 _ . -` and the base fits iptables' chain limit of
 *   28 characters;
 * - otherwise `f2b-<cut>-<hash>`: the jail name with other characters
 *   replaced by `_`, cut to 17 characters (trailing `-`/`.` dropped), then
 *   `-` and the first 6 hex digits of SHA-256(jail name) — 28 characters at
 *   most, and two jails sharing a long prefix still get different names;
 * - the chain (in iptables and ip6tables) is the base name; the ipsets are
 *   base (`hash:ip`, IPv4), base`-6` (`hash:ip`, IPv6), base`-n` (`hash:net`,
 *   IPv4 prefixes), base`-n6` (`hash:net`, IPv6 prefixes): at most 31
 *   characters, ipset's limit.
 */
import { createHash } from 'node:crypto';
import type { IpsetFamily, IpsetType } from '../../../native/ipset/messages.js';
import { PREFIX } from '../iptables.js';

/** Longest iptables chain name (XT_EXTENSION_MAXNAMELEN - 1). */
export const CHAIN_MAX = 28;

const SAFE = /^[A-Za-z0-9_.-]+$/;
const CUT = CHAIN_MAX - PREFIX.length - 7;

/** One of a jail's four sets. */
export interface JailSet {
  readonly name: string;
  readonly type: IpsetType;
  readonly family: IpsetFamily;
}

/** Every kernel name of one jail. */
export interface JailNames {
  readonly jail: string;
  /** Chain name in the filter table (iptables and ip6tables). */
  readonly chain: string;
  readonly ip4: JailSet;
  readonly ip6: JailSet;
  readonly net4: JailSet;
  readonly net6: JailSet;
}

/** The base name (`f2b-<jail>` or its cut-and-hashed form) of a jail. */
export function baseName(jail: string): string {
  const plain = `${PREFIX}${jail}`;
  if (SAFE.test(jail) && plain.length <= CHAIN_MAX) return plain;
  const cut = jail.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, CUT).replace(/[-.]+$/, '');
  const hash = createHash('sha256').update(jail, 'utf8').digest('hex').slice(0, 6);
  return `${PREFIX}${cut}-${hash}`;
}

/** The chain and the four set names of a jail. */
export function jailNames(jail: string): JailNames {
  const base = baseName(jail);
  return {
    jail,
    chain: base,
    ip4: { name: base, type: 'hash:ip', family: 'inet' },
    ip6: { name: `${base}-6`, type: 'hash:ip', family: 'inet6' },
    net4: { name: `${base}-n`, type: 'hash:net', family: 'inet' },
    net6: { name: `${base}-n6`, type: 'hash:net', family: 'inet6' },
  };
}

/** The four sets of a jail, in a fixed order. */
export function jailSets(names: JailNames): readonly JailSet[] {
  return [names.ip4, names.ip6, names.net4, names.net6];
}
