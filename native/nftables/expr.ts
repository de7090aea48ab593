/**
 * The rule expressions f2b-fw uses, encoded as libnftnl does
 * (NFTA_LIST_ELEM { NFTA_EXPR_NAME, NFTA_EXPR_DATA { … } }), all loading into
 * register 1: meta, cmp, payload, ct, lookup, immediate (verdict), reject.
 */
import { nestedAttr, u8Attr, type AttrOut } from '../netlink/attributes.js';
import { bytes, str, u32 } from './message.js';

const NFTA_LIST_ELEM = 1;
const NFTA_EXPR_NAME = 1;
const NFTA_EXPR_DATA = 2;
const NFTA_DATA_VALUE = 1;
const NFTA_DATA_VERDICT = 2;
const NFTA_VERDICT_CODE = 1;
/** NFT_REG_VERDICT and NFT_REG_1. */
const REG_VERDICT = 0;
const REG_1 = 1;

/** NFT_META_* keys used. */
export const META = { nfproto: 15, l4proto: 16 } as const;
/** NFT_CMP_* operators. */
export const CMP = { eq: 0, neq: 1, lt: 2, lte: 3, gt: 4, gte: 5 } as const;
/** NFT_PAYLOAD_*_HEADER bases. */
export const PAYLOAD_BASE = { network: 1, transport: 2 } as const;
/** NFT_CT_PROTO_DST. */
export const CT_PROTO_DST = 12;
/** IP_CT_DIR_ORIGINAL. */
export const CT_DIR_ORIGINAL = 0;
/** NF_DROP. */
export const NF_DROP = 0;
/** NFT_REJECT_* types and NFT_REJECT_ICMPX_PORT_UNREACH. */
export const REJECT = { tcpReset: 1, icmpx: 2, icmpxPortUnreachable: 1 } as const;

function expr(name: string, data: readonly AttrOut[]): AttrOut {
  return nestedAttr(NFTA_LIST_ELEM, [str(NFTA_EXPR_NAME, name), nestedAttr(NFTA_EXPR_DATA, data)]);
}

/** `meta load KEY => reg 1`. */
export function meta(key: number): AttrOut {
  return expr('meta', [u32(2 /* KEY */, key), u32(1 /* DREG */, REG_1)]);
}

/** `cmp OP reg 1 DATA`. */
export function cmp(op: number, data: Uint8Array): AttrOut {
  return expr('cmp', [u32(1 /* SREG */, REG_1), u32(2 /* OP */, op), nestedAttr(3 /* DATA */, [bytes(NFTA_DATA_VALUE, data)])]);
}

/** `payload load LEN b @ BASE header + OFFSET => reg 1`. */
export function payload(base: number, offset: number, len: number): AttrOut {
  return expr('payload', [u32(1 /* DREG */, REG_1), u32(2 /* BASE */, base), u32(3 /* OFFSET */, offset), u32(4 /* LEN */, len)]);
}

/** `ct load KEY => reg 1, dir DIR`. */
export function ct(key: number, dir: number): AttrOut {
  return expr('ct', [u32(2 /* KEY */, key), u32(1 /* DREG */, REG_1), u8Attr(3 /* DIRECTION */, dir)]);
}

/** `lookup reg 1 set NAME` (`id`: the set was created in the same batch, or is anonymous). */
export function lookup(set: string, id?: number): AttrOut {
  return expr('lookup', [u32(2 /* SREG */, REG_1), str(1 /* SET */, set), ...(id === undefined ? [] : [u32(4 /* SET_ID */, id)])]);
}

/** `immediate reg 0 VERDICT`. */
export function verdict(code: number): AttrOut {
  return expr('immediate', [u32(1 /* DREG */, REG_VERDICT), nestedAttr(2 /* DATA */, [nestedAttr(NFTA_DATA_VERDICT, [u32(NFTA_VERDICT_CODE, code)])])]);
}

/** `reject type TYPE code CODE`. */
export function reject(type: number, code: number): AttrOut {
  return expr('reject', [u32(1 /* TYPE */, type), u8Attr(2 /* ICMP_CODE */, code)]);
}
