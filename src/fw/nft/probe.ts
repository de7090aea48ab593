/**
 * Does this kernel refresh a set element's timeout when the element is added
 * again? Newer kernels update timeout and expiry on a non-exclusive add; older
 * ones (Debian 12's 6.1) keep the old timeout, so a refresh needs delete + add.
 * Probed once, for real, with a scratch set in our own table.
 */
import { NftBatch, type NftConn } from '../../../native/nftables/batch.js';
import type { TableDump } from '../../../native/nftables/dump.js';
import { addressSet, delSet } from '../../../native/nftables/set.js';
import { elementChange } from '../../../native/nftables/element.js';
import { TABLE } from './names.js';

/** Name of the scratch set (not a jail set name, and removed right away). */
export const PROBE_SET = 'f2b-fw-probe';
const PROBE_KEY = Buffer.from([192, 0, 2, 0]);

/** A batch adding the probe address with `seconds` of timeout (after `first`, e.g. creating the set). */
function addProbe(seconds: number, first?: (b: NftBatch) => unknown): NftBatch {
  const b = new NftBatch();
  first?.(b);
  return b.addElements(TABLE, elementChange('add', PROBE_SET, [{ key: PROBE_KEY, timeoutMs: seconds * 1000 }]));
}

/**
 * True when re-adding an element replaces its timeout, both longer and
 * shorter. Needs table `inet f2b-fw` to exist; the scratch set is removed
 * whatever happens.
 */
export async function kernelRefreshesOnAdd(conn: NftConn, dump: TableDump): Promise<boolean> {
  await conn.flush(addProbe(100, (b) => b.addSet(addressSet(TABLE, PROBE_SET, 4, false))));
  try {
    const expires = async (): Promise<number> => (await dump.elements(PROBE_SET))[0]?.expiresMs ?? 0;
    await conn.flush(addProbe(3600));
    if ((await expires()) < 1000_000) return false;
    await conn.flush(addProbe(100));
    return (await expires()) <= 100_000;
  } finally {
    await conn.flush(new NftBatch().add(() => delSet(TABLE, PROBE_SET)));
  }
}
