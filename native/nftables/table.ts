/** NEWTABLE / DELTABLE messages (NFTA_TABLE_*). */
import { nftMessage, NFT_MSG, str, u32, type NftMessage } from './message.js';
import type { NftFamily, NftTable } from './family.js';

const NFTA_TABLE_NAME = 1;
const NFTA_TABLE_FLAGS = 2;

/** A table reference. */
export function table(family: NftFamily, name: string): NftTable {
  return { family, name };
}

/** `add table`: a no-op when it exists (no NLM_F_EXCL; nft sends no CREATE either, the kernel creates anyway). */
export function newTable(t: NftTable): NftMessage {
  return nftMessage(NFT_MSG.NEWTABLE, 0, t.family, [str(NFTA_TABLE_NAME, t.name), u32(NFTA_TABLE_FLAGS, 0)], `add table ${t.family} ${t.name}`);
}

/** `delete table`, with everything in it. */
export function delTable(t: NftTable): NftMessage {
  return nftMessage(NFT_MSG.DELTABLE, 0, t.family, [str(NFTA_TABLE_NAME, t.name)], `delete table ${t.family} ${t.name}`);
}
