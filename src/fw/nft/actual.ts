/**
 * The actual kernel state of table `inet f2b-fw`, read back as libnftables
 * JSON: chains, sets with their elements and remaining timeouts, rules with
 * handles, and whether the ownership marker is there.
 */
import { KernelError } from '../../core/errors.js';
import type { NftContext } from '../../../native/nftables/context.js';
import type { NftChain, NftCounter, NftOutputItem, NftRule, NftSet } from '../../../native/nftables/json.js';
import { listTable } from '../../../native/nftables/table.js';
import { elementExpires, elementText } from '../../../native/nftables/element.js';
import { MARKER_NAME, TABLE } from './names.js';

/** What the kernel holds in our table. */
export interface ActualState {
  /** False when there is no table `inet f2b-fw` at all. */
  readonly exists: boolean;
  /** True when the ownership marker is in the table. */
  readonly marked: boolean;
  readonly chains: ReadonlyMap<string, NftChain>;
  readonly sets: ReadonlyMap<string, NftSet>;
  /** Every rule of the table, in listing order, with handles. */
  readonly rules: readonly (NftRule & { readonly handle: number })[];
  /** Set name → element text → seconds left (null = no timeout). */
  readonly elements: ReadonlyMap<string, ReadonlyMap<string, number | null>>;
}

/** The state of a kernel without our table. */
export const ABSENT: ActualState = { exists: false, marked: false, chains: new Map(), sets: new Map(), rules: [], elements: new Map() };

/** Sorts a listing into an ActualState. */
export function parseListing(items: readonly NftOutputItem[]): ActualState {
  const chains = new Map<string, NftChain>();
  const sets = new Map<string, NftSet>();
  const rules: (NftRule & { handle: number })[] = [];
  const elements = new Map<string, Map<string, number | null>>();
  let marked = false;
  for (const item of items) {
    if ('chain' in item) chains.set(item.chain.name, item.chain);
    else if ('rule' in item && item.rule.handle !== undefined) rules.push(item.rule as NftRule & { handle: number });
    else if ('counter' in item) marked ||= (item.counter as NftCounter).name === MARKER_NAME;
    else if ('set' in item) {
      const { elem, ...set } = item.set;
      sets.set(set.name, set);
      const els = new Map<string, number | null>();
      // nft prints addresses as inet_ntop does (RFC 5952), the form addrTarget() produces.
      for (const e of elem ?? []) els.set(elementText(e), elementExpires(e));
      elements.set(set.name, els);
    }
  }
  return { exists: true, marked, chains, sets, rules, elements };
}

/**
 * Reads our table back from the kernel (ABSENT when it does not exist).
 * `list tables` is not used to test for it: libnftables 1.0.6 fills its whole
 * cache, every element of every set, for that command.
 */
export async function readActual(ctx: NftContext): Promise<ActualState> {
  try {
    return parseListing(await ctx.run([listTable(TABLE)], { heavy: true }));
  } catch (e) {
    if (e instanceof KernelError && /No such file or directory/.test(e.message)) return ABSENT;
    throw e;
  }
}
