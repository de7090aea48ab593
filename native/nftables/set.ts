/**
 * Sets: NEWSET of f2b-fw's named address sets and of the anonymous port sets
 * a rule uses, DELSET, and flushing a set (DELSETELEM without elements).
 */
import { nestedAttr } from '../netlink/attributes.js';
import { nftMessage, NFT_MSG, str, u32, udata, type NftMessage } from './message.js';
import type { NftTable } from './family.js';
import { NLM_F } from '../netlink/socket.js';

const NFTA_SET_TABLE = 1;
const NFTA_SET_NAME = 2;
const NFTA_SET_FLAGS = 3;
const NFTA_SET_KEY_TYPE = 4;
const NFTA_SET_KEY_LEN = 5;
const NFTA_SET_DESC = 9;
const NFTA_SET_ID = 10;
const NFTA_SET_USERDATA = 13;
const NFTA_SET_DESC_SIZE = 1;
const NFTA_SET_ELEM_LIST_TABLE = 1;
const NFTA_SET_ELEM_LIST_SET = 2;
/** NFT_SET_* flags. */
export const SET_FLAG = { anonymous: 0x1, constant: 0x2, interval: 0x4, timeout: 0x10 } as const;
/** libnftnl set userdata types. */
const UDATA_SET = { KEYBYTEORDER: 0, MERGE_ELEMENTS: 2, KEY_TYPEOF: 3 } as const;
/** nft's `enum byteorder`: BYTEORDER_BIG_ENDIAN. */
const BIG_ENDIAN = 2;

/** IP version of a set. */
export type IpVersion = 4 | 6;
/** Key types f2b-fw's sets use: nft's datatype numbers and key lengths. */
export const KEY_TYPES = {
  ipv4_addr: { type: 7, len: 4 },
  ipv6_addr: { type: 8, len: 16 },
  inet_service: { type: 13, len: 2 },
} as const;
/** An address key type. */
export type AddrKeyType = 'ipv4_addr' | 'ipv6_addr';
/** A set flag f2b-fw sets on its named sets. */
export type SetFlag = 'interval' | 'timeout';

/** A named address set. */
export interface NftSet {
  readonly table: NftTable;
  readonly name: string;
  readonly type: AddrKeyType;
  readonly flags: readonly SetFlag[];
}

/**
 * An address set in table `t`: `flags timeout`, plus `interval` when it holds
 * prefixes (single addresses live in plain hash sets: cheaper to change and
 * to dump).
 */
export function addressSet(t: NftTable, name: string, version: IpVersion, interval: boolean): NftSet {
  return { table: t, name, type: version === 4 ? 'ipv4_addr' : 'ipv6_addr', flags: interval ? ['interval', 'timeout'] : ['timeout'] };
}

/** The NFT_SET_* bits of `flags`. */
export function setFlagBits(flags: readonly SetFlag[]): number {
  return flags.reduce((bits, f) => bits | SET_FLAG[f], 0);
}

function u32le(value: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(value);
  return b;
}

/** `add set` with batch-local id `id` (rules added in the same batch may name it by id). */
export function newSet(s: NftSet, id: number): NftMessage {
  const key = KEY_TYPES[s.type];
  return nftMessage(NFT_MSG.NEWSET, NLM_F.CREATE, s.table.family, [
    str(NFTA_SET_TABLE, s.table.name),
    str(NFTA_SET_NAME, s.name),
    u32(NFTA_SET_FLAGS, setFlagBits(s.flags)),
    u32(NFTA_SET_KEY_TYPE, key.type),
    u32(NFTA_SET_KEY_LEN, key.len),
    u32(NFTA_SET_ID, id),
    { type: NFTA_SET_USERDATA, payload: udata([[UDATA_SET.KEYBYTEORDER, u32le(BIG_ENDIAN)]]) },
  ], `add set ${s.table.family} ${s.table.name} ${s.name}`);
}

/**
 * The anonymous, constant port set of a rule (`th dport { 22, 80-90 }`):
 * the kernel names it `__set<N>` and frees it with its rule. `count` is the
 * number of elements sent, `keyTypeof` nft's description of the key
 * expression (how `nft list` prints it).
 */
export function newPortSet(t: NftTable, id: number, interval: boolean, count: number, keyTypeof: Buffer): NftMessage {
  const key = KEY_TYPES.inet_service;
  return nftMessage(NFT_MSG.NEWSET, NLM_F.CREATE, t.family, [
    str(NFTA_SET_TABLE, t.name),
    str(NFTA_SET_NAME, '__set%d'),
    u32(NFTA_SET_FLAGS, SET_FLAG.anonymous | SET_FLAG.constant | (interval ? SET_FLAG.interval : 0)),
    u32(NFTA_SET_KEY_TYPE, key.type),
    u32(NFTA_SET_KEY_LEN, key.len),
    u32(NFTA_SET_ID, id),
    nestedAttr(NFTA_SET_DESC, [u32(NFTA_SET_DESC_SIZE, count)]),
    {
      type: NFTA_SET_USERDATA,
      payload: udata([[UDATA_SET.KEYBYTEORDER, u32le(BIG_ENDIAN)], ...(interval ? [[UDATA_SET.MERGE_ELEMENTS, u32le(1)] as const] : []), [UDATA_SET.KEY_TYPEOF, keyTypeof]]),
    },
  ], `add anonymous port set to table ${t.family} ${t.name}`);
}

/** `delete set` (no rule may use it any more). */
export function delSet(t: NftTable, name: string): NftMessage {
  return nftMessage(NFT_MSG.DELSET, 0, t.family, [str(NFTA_SET_TABLE, t.name), str(NFTA_SET_NAME, name)], `delete set ${t.family} ${t.name} ${name}`);
}

/** `flush set`: removes every element. */
export function flushSet(t: NftTable, name: string): NftMessage {
  return nftMessage(NFT_MSG.DELSETELEM, 0, t.family, [str(NFTA_SET_ELEM_LIST_SET, name), str(NFTA_SET_ELEM_LIST_TABLE, t.name)], `flush set ${t.family} ${t.name} ${name}`);
}
