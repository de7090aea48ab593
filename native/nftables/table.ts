/** Builders for table commands and the ownership marker object. */
import type { NftCommand, NftCounter, NftFamily, NftTable } from './json.js';

/** A table reference. */
export function table(family: NftFamily, name: string): NftTable {
  return { family, name };
}

/** `add table` (a no-op when it exists). */
export function addTable(t: NftTable): NftCommand {
  return { add: { table: t } };
}

/** `delete table`, with everything in it. */
export function deleteTable(t: NftTable): NftCommand {
  return { delete: { table: t } };
}

/**
 * A named counter used as a marker: libnftables 1.0.6 neither takes nor prints
 * table comments in JSON, but it does print counter comments.
 */
export function markerCounter(t: NftTable, name: string, comment: string): NftCounter {
  return { family: t.family, table: t.name, name, comment };
}

/** `add counter`. */
export function addCounter(c: NftCounter): NftCommand {
  return { add: { counter: c } };
}
