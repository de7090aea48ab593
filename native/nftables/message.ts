/**
 * nf_tables netlink messages as f2b-fw builds them: message numbers
 * (linux/netfilter/nf_tables.h), the attribute helpers nftables uses (u32
 * and u64 in network byte order, written like libnftnl, without the
 * NLA_F_NET_BYTEORDER flag), and the record one message of a batch is.
 */
import { encodeAttrs, stringAttr, type AttrOut } from '../netlink/attributes.js';
import { NFT_FAMILY, type NftFamily } from './family.js';

/** nfnetlink subsystem id of nf_tables. */
export const NFNL_SUBSYS_NFTABLES = 10;

/** NFT_MSG_* numbers f2b-fw sends. */
export const NFT_MSG = {
  NEWTABLE: 0, GETTABLE: 1, DELTABLE: 2,
  NEWCHAIN: 3, GETCHAIN: 4, DELCHAIN: 5,
  NEWRULE: 6, GETRULE: 7, DELRULE: 8,
  NEWSET: 9, GETSET: 10, DELSET: 11,
  NEWSETELEM: 12, GETSETELEM: 13, DELSETELEM: 14,
  GETGEN: 16, NEWOBJ: 18, GETOBJ: 19, DELOBJ: 20,
} as const;


/** One message of a batch: type (NFT_MSG_*), flags beyond REQUEST|ACK, family, encoded attributes, and what it does (for errors). */
export interface NftMessage {
  readonly msg: number;
  readonly flags: number;
  readonly family: number;
  readonly attrs: Buffer;
  /** `add rule inet f2b-fw input "…"`: named in the error when the kernel refuses this message. */
  readonly what: string;
}

/** Builds a message of `family` from its attributes. */
export function nftMessage(msg: number, flags: number, family: NftFamily, attrs: readonly AttrOut[], what: string): NftMessage {
  return { msg, flags, family: NFT_FAMILY[family], attrs: encodeAttrs(attrs), what };
}

/** A u32 attribute in network byte order, as libnftnl writes it (no byte-order flag). */
export function u32(type: number, value: number): AttrOut {
  const payload = Buffer.alloc(4);
  payload.writeUInt32BE(value >>> 0);
  return { type, payload };
}

/** A u64 attribute in network byte order (handles, timeouts, counters). */
export function u64(type: number, value: number | bigint): AttrOut {
  const payload = Buffer.alloc(8);
  payload.writeBigUInt64BE(BigInt(value));
  return { type, payload };
}

/** A NUL-terminated string attribute (attributes.ts' stringAttr). */
export const str = stringAttr;

/** A raw byte attribute. */
export function bytes(type: number, value: Uint8Array): AttrOut {
  return { type, payload: Buffer.from(value) };
}

/**
 * libnftnl's userdata TLVs (u8 type, u8 length, value), the form of rule,
 * set and object comments (type 0, NUL included) and set key byte order.
 */
export function udata(entries: readonly (readonly [number, Buffer])[]): Buffer {
  return Buffer.concat(entries.map(([type, value]) => {
    if (value.length > 255) throw new RangeError(`userdata entry ${type} too long (${value.length} bytes)`);
    return Buffer.concat([Buffer.from([type, value.length]), value]);
  }));
}

/** A comment as userdata value: UTF-8 with its NUL. */
export function commentValue(comment: string): Buffer {
  return Buffer.from(`${comment}\0`, 'utf8');
}
