/**
 * NEWOBJ of a named counter (NFTA_OBJ_*, NFT_OBJECT_COUNTER): f2b-fw's
 * ownership marker is one, with a comment `nft list ruleset` shows.
 */
import { commentValue, nftMessage, NFT_MSG, str, u32, u64, udata, type NftMessage } from './message.js';
import { nestedAttr } from '../netlink/attributes.js';
import type { NftTable } from './family.js';
import { NLM_F } from '../netlink/socket.js';

const NFTA_OBJ_TABLE = 1;
const NFTA_OBJ_NAME = 2;
const NFTA_OBJ_TYPE = 3;
const NFTA_OBJ_DATA = 4;
const NFTA_OBJ_USERDATA = 8;
const NFTA_COUNTER_BYTES = 1;
const NFTA_COUNTER_PACKETS = 2;
const NFTNL_UDATA_OBJ_COMMENT = 0;
/** NFT_OBJECT_COUNTER: the object type number, also how a dump tells counters from other objects. */
export const COUNTER_OBJECT = 1;

/** A named counter. */
export interface NftCounter {
  readonly table: NftTable;
  readonly name: string;
  readonly comment?: string;
}

/** `add counter … { comment "…" }`, starting at zero. */
export function newCounter(c: NftCounter): NftMessage {
  return nftMessage(NFT_MSG.NEWOBJ, NLM_F.CREATE, c.table.family, [
    str(NFTA_OBJ_TABLE, c.table.name),
    str(NFTA_OBJ_NAME, c.name),
    u32(NFTA_OBJ_TYPE, COUNTER_OBJECT),
    ...(c.comment === undefined ? [] : [{ type: NFTA_OBJ_USERDATA, payload: udata([[NFTNL_UDATA_OBJ_COMMENT, commentValue(c.comment)]]) }]),
    nestedAttr(NFTA_OBJ_DATA, [u64(NFTA_COUNTER_BYTES, 0), u64(NFTA_COUNTER_PACKETS, 0)]),
  ], `add counter ${c.table.family} ${c.table.name} ${c.name}`);
}
