/** Builders for address sets with kernel timeouts. */
import type { NftCommand, NftSet, NftTable } from './json.js';

/** IP version of a set. */
export type IpVersion = 4 | 6;

/**
 * An address set in table `t`: `flags timeout`, plus `interval` when it holds
 * prefixes (interval sets cost libnftables an element cache on every change,
 * so single addresses live in plain hash sets).
 */
export function addressSet(t: NftTable, name: string, version: IpVersion, interval: boolean): NftSet {
  return {
    family: t.family,
    table: t.name,
    name,
    type: version === 4 ? 'ipv4_addr' : 'ipv6_addr',
    flags: interval ? ['interval', 'timeout'] : ['timeout'],
  };
}

/** A reference to a set by name. */
export function setRef(t: NftTable, name: string): NftSet {
  return { family: t.family, table: t.name, name };
}

/** `add set`. */
export function addSet(s: NftSet): NftCommand {
  return { add: { set: s } };
}

/** `delete set` (it must not be referenced by a rule any more). */
export function deleteSet(s: NftSet): NftCommand {
  return { delete: { set: setRef({ family: s.family, name: s.table }, s.name) } };
}

/** `flush set`: removes every element. */
export function flushSet(s: NftSet): NftCommand {
  return { flush: { set: setRef({ family: s.family, name: s.table }, s.name) } };
}
