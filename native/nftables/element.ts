/** Builders for set elements: addresses and prefixes with timeouts. */
import type { NftCommand, NftElem, NftElemValue, NftSet } from './json.js';

/** `192.0.2.1` → itself; `198.51.100.0/24` → a prefix object. */
export function elementValue(addr: string): NftElemValue {
  const slash = addr.indexOf('/');
  if (slash < 0) return addr;
  return { prefix: { addr: addr.slice(0, slash), len: Number(addr.slice(slash + 1)) } };
}

/**
 * Longest element timeout the kernel takes, in ms: nf_msecs_to_jiffies64()
 * (net/netfilter/nf_tables_api.c) refuses with ERANGE any NFTA_SET_ELEM_TIMEOUT
 * (a be64 of ms) >= U64_MAX / NSEC_PER_MSEC = 18,446,744,073,709 — about 584
 * years. Probed on 6.1 and 6.18: …708 is taken, …709 refused.
 */
export const NFT_MAX_TIMEOUT_MS = 18_446_744_073_708;
/** The same limit in whole seconds (libnftables JSON takes seconds). */
export const NFT_MAX_TIMEOUT_S = Math.floor(NFT_MAX_TIMEOUT_MS / 1000);

/** An element with a timeout in whole seconds (`null` = no timeout, permanent). */
export function element(addr: string, timeoutSec: number | null): NftElem {
  const val = elementValue(addr);
  return timeoutSec === null ? { elem: { val } } : { elem: { val, timeout: timeoutSec } };
}

/** `add element` (an element already present keeps its old timeout). */
export function addElements(s: NftSet, elem: readonly NftElem[]): NftCommand {
  return { add: { element: { family: s.family, table: s.table, name: s.name, elem } } };
}

/** `delete element` (fails for an absent element: pair it with an add first). */
export function deleteElements(s: NftSet, elem: readonly NftElem[]): NftCommand {
  return { delete: { element: { family: s.family, table: s.table, name: s.name, elem } } };
}

/**
 * Commands that put `elem` into `s` with fresh timeouts whether or not they
 * are there: add (so the delete cannot fail), delete, add — one transaction.
 */
export function refreshElements(s: NftSet, elem: readonly NftElem[]): NftCommand[] {
  const keys = elem.map((e) => (typeof e === 'object' && 'elem' in e ? e.elem.val : e));
  return [addElements(s, elem), deleteElements(s, keys), addElements(s, elem)];
}

/**
 * Commands that remove `addrs` from `s` whether or not they are there: add
 * (no-op when present), then delete.
 */
export function removeElements(s: NftSet, addrs: readonly string[]): NftCommand[] {
  const keys = addrs.map(elementValue);
  return [addElements(s, keys), deleteElements(s, keys)];
}
