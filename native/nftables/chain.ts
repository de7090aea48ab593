/** Builders for base chains. */
import type { NftChain, NftCommand, NftTable } from './json.js';

/** A filter base chain on `hook` at `prio`, policy accept (it only ever drops banned traffic). */
export function baseChain(t: NftTable, name: string, hook: string, prio: number): NftChain {
  return { family: t.family, table: t.name, name, type: 'filter', hook, prio, policy: 'accept' };
}

/** `add chain`. */
export function addChain(c: NftChain): NftCommand {
  return { add: { chain: c } };
}

/** `flush chain`: removes its rules. */
export function flushChain(c: NftChain): NftCommand {
  return { flush: { chain: { family: c.family, table: c.table, name: c.name } } };
}

/** `delete chain` (flush it first in the same batch). */
export function deleteChain(c: NftChain): NftCommand {
  return { delete: { chain: { family: c.family, table: c.table, name: c.name } } };
}
