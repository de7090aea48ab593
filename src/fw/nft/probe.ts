/**
 * Does this kernel refresh a set element's timeout when the element is added
 * again? Newer kernels update timeout and expiry on a non-exclusive add; older
 * ones (Debian 12's 6.1) keep the old timeout, so a refresh needs delete + add.
 * Probed once, for real, with a scratch set in our own table.
 */
import type { NftContext } from '../../../native/nftables/context.js';
import type { TableDump } from '../../../native/nftables/dump.js';
import { addressSet, addSet, deleteSet } from '../../../native/nftables/set.js';
import { addElements, element } from '../../../native/nftables/element.js';
import { TABLE } from './names.js';

/** Name of the scratch set (not a jail set name, and removed right away). */
export const PROBE_SET = 'f2b-fw-probe';
const PROBE_ADDR = '192.0.2.0';

/**
 * True when re-adding an element replaces its timeout, both longer and
 * shorter. Needs table `inet f2b-fw` to exist; the scratch set is removed
 * whatever happens.
 */
export async function kernelRefreshesOnAdd(ctx: NftContext, dump: TableDump): Promise<boolean> {
  const set = addressSet(TABLE, PROBE_SET, 4, false);
  await ctx.run([addSet(set), addElements(set, [element(PROBE_ADDR, 100)])]);
  try {
    const expires = async (): Promise<number> => (await dump.elements(PROBE_SET))[0]?.expiresMs ?? 0;
    await ctx.run([addElements(set, [element(PROBE_ADDR, 3600)])]);
    if ((await expires()) < 1000_000) return false;
    await ctx.run([addElements(set, [element(PROBE_ADDR, 100)])]);
    return (await expires()) <= 100_000;
  } finally {
    await ctx.run([deleteSet(set)]);
  }
}
