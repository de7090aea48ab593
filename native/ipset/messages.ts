/**
 * Builds ip_set netlink requests and decodes LIST replies. Pure functions:
 * no socket here (see native/ipset/session.ts).
 */
import {
  align4, be32Attr, decodeAttrs, encodeAttrs, nestedAttr, nfgenmsg, readBe32, readString, readU8,
  stringAttr, u8Attr, NFGENMSG_LEN, NLA_F_NESTED, NLA_F_NET_BYTEORDER, type AttrOut,
} from '../netlink/attributes.js';
import type { NetlinkRequest } from '../netlink/socket.js';
import { addrToBytes } from './address.js';
import { bytesText } from '../../src/core/ip-text.js';
import { NLM_F } from '../netlink/socket.js';
import { ATTR, CMD, DATA_ATTR, IPADDR_ATTR, IPSET_PROTOCOL, NFPROTO, ipsetMsgType } from './protocol.js';

/** Address family of a set. */
export type IpsetFamily = 'inet' | 'inet6';
/** Set types f2b-fw uses. */
export type IpsetType = 'hash:ip' | 'hash:net';

/** Parameters of a set to create. */
export interface IpsetSpec {
  readonly name: string;
  readonly type: IpsetType;
  readonly family: IpsetFamily;
  /** Default element timeout in seconds; present = timeout support (0 = permanent by default). */
  readonly timeout?: number;
  readonly maxelem?: number;
  readonly hashsize?: number;
}

/** One element: an address, an optional prefix length (hash:net), an optional timeout (s, 0 = permanent). */
export interface IpsetElement {
  readonly addr: string;
  readonly cidr?: number;
  readonly timeout?: number;
}

/** One add or delete. */
export interface IpsetOp {
  readonly op: 'add' | 'del';
  readonly set: string;
  readonly element: IpsetElement;
}

/** A set as LIST reports it. */
export interface IpsetInfo {
  readonly name: string;
  readonly type: string;
  readonly revision: number;
  readonly family: IpsetFamily | 'unknown';
  /** Default timeout; undefined = the set has no timeout support. */
  readonly timeout?: number;
  readonly maxelem?: number;
  readonly references: number;
  readonly elements: number;
  /** Members (empty when only headers were asked for). `timeout` = seconds left, 0 = permanent. */
  readonly members: IpsetElement[];
}

function familyCode(f: IpsetFamily): number {
  return f === 'inet' ? NFPROTO.IPV4 : NFPROTO.IPV6;
}

function message(cmd: number, flags: number, attrs: readonly AttrOut[]): NetlinkRequest {
  const payload = Buffer.concat([nfgenmsg(NFPROTO.IPV4), encodeAttrs([u8Attr(ATTR.PROTOCOL, IPSET_PROTOCOL), ...attrs])]);
  return { type: ipsetMsgType(cmd), flags, payload };
}

/** IPSET_CMD_TYPE: asks which revisions of `type` the kernel supports for `family`. */
export function typeRequest(type: IpsetType, family: IpsetFamily): NetlinkRequest {
  return message(CMD.TYPE, NLM_F.ACK, [stringAttr(ATTR.TYPENAME, type), u8Attr(ATTR.FAMILY, familyCode(family))]);
}

/** Reads the highest revision from a TYPE reply payload. */
export function parseTypeReply(payload: Buffer): number | undefined {
  return readU8(decodeAttrs(payload.subarray(NFGENMSG_LEN)).get(ATTR.REVISION));
}

/** IPSET_CMD_CREATE without NLM_F_EXCL: succeeds when an identical set exists. */
export function createRequest(spec: IpsetSpec, revision: number): NetlinkRequest {
  const data: AttrOut[] = [];
  if (spec.timeout !== undefined) data.push(be32Attr(DATA_ATTR.TIMEOUT, spec.timeout));
  if (spec.maxelem !== undefined) data.push(be32Attr(DATA_ATTR.MAXELEM, spec.maxelem));
  if (spec.hashsize !== undefined) data.push(be32Attr(DATA_ATTR.HASHSIZE, spec.hashsize));
  return message(CMD.CREATE, NLM_F.ACK, [
    stringAttr(ATTR.SETNAME, spec.name),
    stringAttr(ATTR.TYPENAME, spec.type),
    u8Attr(ATTR.REVISION, revision),
    u8Attr(ATTR.FAMILY, familyCode(spec.family)),
    nestedAttr(ATTR.DATA, data),
  ]);
}

/** DESTROY or FLUSH of one set (without a name: every set, which f2b-fw never asks for). */
export function setRequest(cmd: typeof CMD.DESTROY | typeof CMD.FLUSH, name: string): NetlinkRequest {
  return message(cmd, NLM_F.ACK, [stringAttr(ATTR.SETNAME, name)]);
}

/** SWAP: exchanges the names (and references) of two compatible sets. */
export function swapRequest(a: string, b: string): NetlinkRequest {
  return message(CMD.SWAP, NLM_F.ACK, [stringAttr(ATTR.SETNAME, a), stringAttr(ATTR.SETNAME2, b)]);
}

/**
 * ADD or DEL of one element. Without NLM_F_EXCL the kernel applies `-exist`
 * semantics: re-adding replaces the timeout, deleting a missing element is no
 * error. Written straight into one buffer (100,000-element loads call this
 * per element): nfgenmsg, PROTOCOL, SETNAME, DATA { IP { IPADDR_IPV4|6 },
 * CIDR?, TIMEOUT? } — the same layout `encodeAttrs` would produce.
 */
export function elementRequest(op: IpsetOp): NetlinkRequest {
  const bytes = addrToBytes(op.element.addr);
  const nameLen = Buffer.byteLength(op.set) + 1;
  const timeout = op.op === 'add' ? op.element.timeout : undefined;
  const addrAttr = 4 + bytes.length;
  const ipAttr = 4 + addrAttr;
  const dataAttr = 4 + ipAttr + (op.element.cidr !== undefined ? 8 : 0) + (timeout !== undefined ? 8 : 0);
  const nameAttr = align4(4 + nameLen);
  const b = Buffer.alloc(NFGENMSG_LEN + 8 + nameAttr + dataAttr);
  let o = 0;
  b.writeUInt8(NFPROTO.IPV4, 0);
  o = NFGENMSG_LEN;
  const attr = (len: number, type: number): void => { b.writeUInt16LE(len, o); b.writeUInt16LE(type, o + 2); o += 4; };
  attr(5, ATTR.PROTOCOL);
  b.writeUInt8(IPSET_PROTOCOL, o);
  o += 4;
  attr(4 + nameLen, ATTR.SETNAME);
  b.write(op.set, o, 'utf8');
  o += nameAttr - 4;
  attr(dataAttr, ATTR.DATA | NLA_F_NESTED);
  attr(ipAttr, DATA_ATTR.IP | NLA_F_NESTED);
  attr(addrAttr, (bytes.length === 4 ? IPADDR_ATTR.IPV4 : IPADDR_ATTR.IPV6) | NLA_F_NET_BYTEORDER);
  b.set(bytes, o);
  o += bytes.length;
  if (op.element.cidr !== undefined) {
    attr(5, DATA_ATTR.CIDR);
    b.writeUInt8(op.element.cidr, o);
    o += 4;
  }
  if (timeout !== undefined) {
    attr(8, DATA_ATTR.TIMEOUT | NLA_F_NET_BYTEORDER);
    b.writeUInt32BE(timeout >>> 0, o);
  }
  return { type: ipsetMsgType(op.op === 'add' ? CMD.ADD : CMD.DEL), flags: 0, payload: b };
}

/** LIST as a dump: one set by name or all; `headersOnly` skips members. */
export function listRequest(name?: string, headersOnly = false): NetlinkRequest {
  const attrs: AttrOut[] = [];
  if (name !== undefined) attrs.push(stringAttr(ATTR.SETNAME, name));
  if (headersOnly) attrs.push(be32Attr(ATTR.FLAGS, 1 << 2));
  return message(CMD.LIST, NLM_F.DUMP, attrs);
}

function decodeAddr(ipPayload: Buffer | undefined): string | undefined {
  if (!ipPayload) return undefined;
  const inner = decodeAttrs(ipPayload);
  const bytes = inner.get(IPADDR_ATTR.IPV4) ?? inner.get(IPADDR_ATTR.IPV6);
  if (!bytes || (bytes.length !== 4 && bytes.length !== 16)) return undefined;
  return bytesText(bytes);
}

/**
 * Folds LIST reply payloads (several messages per large set) into one record
 * per set, in kernel order.
 */
export function parseListReplies(payloads: readonly Buffer[]): IpsetInfo[] {
  const sets = new Map<string, { -readonly [K in keyof IpsetInfo]: IpsetInfo[K] }>();
  for (const p of payloads) {
    const top = decodeAttrs(p.subarray(NFGENMSG_LEN));
    const name = readString(top.get(ATTR.SETNAME));
    if (name === undefined) continue;
    let info = sets.get(name);
    if (!info) {
      const fam = readU8(top.get(ATTR.FAMILY));
      info = {
        name,
        type: readString(top.get(ATTR.TYPENAME)) ?? '',
        revision: readU8(top.get(ATTR.REVISION)) ?? 0,
        family: fam === NFPROTO.IPV4 ? 'inet' : fam === NFPROTO.IPV6 ? 'inet6' : 'unknown',
        references: 0,
        elements: 0,
        members: [],
      };
      sets.set(name, info);
    }
    const header = top.get(ATTR.DATA);
    if (header) {
      const h = decodeAttrs(header);
      info.timeout = readBe32(h.get(DATA_ATTR.TIMEOUT));
      info.maxelem = readBe32(h.get(DATA_ATTR.MAXELEM));
      info.references = readBe32(h.get(DATA_ATTR.REFERENCES)) ?? 0;
      info.elements = readBe32(h.get(DATA_ATTR.ELEMENTS)) ?? 0;
    }
    const adt = top.get(ATTR.ADT);
    if (!adt) continue;
    for (const entry of decodeAttrs(adt).all) {
      if (entry.type !== ATTR.DATA) continue;
      const d = decodeAttrs(entry.payload);
      const addr = decodeAddr(d.get(DATA_ATTR.IP));
      if (addr === undefined) continue;
      const cidr = readU8(d.get(DATA_ATTR.CIDR));
      const timeout = readBe32(d.get(DATA_ATTR.TIMEOUT));
      info.members.push({ addr, ...(cidr !== undefined ? { cidr } : {}), ...(timeout !== undefined ? { timeout } : {}) });
    }
  }
  return [...sets.values()];
}
