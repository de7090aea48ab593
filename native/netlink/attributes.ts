/**
 * Netlink attribute (TLV) encoding and decoding, plus the nfnetlink
 * `nfgenmsg` header every NETLINK_NETFILTER message starts with.
 *
 * Attribute layout (linux/netlink.h): u16 length (header included, padding
 * excluded), u16 type whose two top bits are NLA_F_NESTED / NLA_F_NET_BYTEORDER,
 * then the payload padded to 4 bytes. Header fields are host order (Linux on
 * x86/arm is little-endian); payloads flagged NET_BYTEORDER are big-endian.
 */

/** The payload holds nested attributes. */
export const NLA_F_NESTED = 1 << 15;
/** The payload is in network byte order. */
export const NLA_F_NET_BYTEORDER = 1 << 14;
const TYPE_MASK = ~(NLA_F_NESTED | NLA_F_NET_BYTEORDER) & 0xffff;

/** Rounds a length up to netlink's 4-byte alignment. */
export function align4(n: number): number {
  return (n + 3) & ~3;
}

/** One attribute to encode: its type (flags included) and payload. */
export interface AttrOut {
  readonly type: number;
  readonly payload: Buffer;
}

/** Encodes attributes back to back, each padded to 4 bytes. */
export function encodeAttrs(attrs: readonly AttrOut[]): Buffer {
  let size = 0;
  for (const a of attrs) size += align4(4 + a.payload.length);
  const out = Buffer.alloc(size);
  let off = 0;
  for (const a of attrs) {
    const len = 4 + a.payload.length;
    if (len > 0xffff) throw new RangeError(`netlink attribute ${a.type & TYPE_MASK} too long (${len} bytes)`);
    out.writeUInt16LE(len, off);
    out.writeUInt16LE(a.type, off + 2);
    a.payload.copy(out, off + 4);
    off += align4(len);
  }
  return out;
}

/** A u8 attribute. */
export function u8Attr(type: number, value: number): AttrOut {
  return { type, payload: Buffer.from([value & 0xff]) };
}

/** A u32 attribute in network byte order (flag set). */
export function be32Attr(type: number, value: number): AttrOut {
  const payload = Buffer.alloc(4);
  payload.writeUInt32BE(value >>> 0);
  return { type: type | NLA_F_NET_BYTEORDER, payload };
}

/** A NUL-terminated string attribute. */
export function stringAttr(type: number, value: string): AttrOut {
  return { type, payload: Buffer.from(`${value}\0`, 'utf8') };
}

/** A raw byte attribute flagged as network byte order (addresses). */
export function bytesAttr(type: number, value: Uint8Array): AttrOut {
  return { type: type | NLA_F_NET_BYTEORDER, payload: Buffer.from(value) };
}

/** A nested attribute holding `children`. */
export function nestedAttr(type: number, children: readonly AttrOut[]): AttrOut {
  return { type: type | NLA_F_NESTED, payload: encodeAttrs(children) };
}

/** Decoded attributes of one level: type (flags stripped) → payload (last one wins); `all` keeps order. */
export interface AttrsIn {
  get(type: number): Buffer | undefined;
  readonly all: readonly { readonly type: number; readonly payload: Buffer }[];
}

/** Decodes one level of attributes; malformed trailing bytes are ignored. */
export function decodeAttrs(buf: Buffer): AttrsIn {
  const all: { type: number; payload: Buffer }[] = [];
  let off = 0;
  while (off + 4 <= buf.length) {
    const len = buf.readUInt16LE(off);
    if (len < 4 || off + len > buf.length) break;
    all.push({ type: buf.readUInt16LE(off + 2) & TYPE_MASK, payload: buf.subarray(off + 4, off + len) });
    off += align4(len);
  }
  const byType = new Map<number, Buffer>();
  for (const a of all) byType.set(a.type, a.payload);
  return { get: (t) => byType.get(t), all };
}

/** Reads a NUL-terminated string payload. */
export function readString(payload: Buffer | undefined): string | undefined {
  if (!payload) return undefined;
  const nul = payload.indexOf(0);
  return payload.toString('utf8', 0, nul < 0 ? payload.length : nul);
}

/** Reads a u32 payload in network byte order. */
export function readBe32(payload: Buffer | undefined): number | undefined {
  return payload && payload.length >= 4 ? payload.readUInt32BE(0) : undefined;
}

/** Reads a u8 payload. */
export function readU8(payload: Buffer | undefined): number | undefined {
  return payload && payload.length >= 1 ? payload[0] : undefined;
}

/** nfnetlink's `struct nfgenmsg`: family, version (NFNETLINK_V0 = 0), res_id (big-endian). */
export function nfgenmsg(family: number, resId = 0): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt8(family, 0);
  b.writeUInt8(0, 1);
  b.writeUInt16BE(resId, 2);
  return b;
}

/** Length of `struct nfgenmsg`, which precedes the attributes of every nfnetlink message. */
export const NFGENMSG_LEN = 4;
