/**
 * Netlink attributes as a comparable tree, for the golden payload tests: each
 * attribute's type and its value (hex, or the children of a nest, told apart by
 * NLA_F_NESTED), children sorted by type so attribute order does not count.
 */

/** One attribute: its type (with the flag bits `typeMask` keeps) and its value. */
export interface Attr { readonly type: number; readonly value: string | Attr[] }

/** Type bits without NLA_F_NESTED and NLA_F_NET_BYTEORDER. */
export const ATTR_TYPE_BITS = 0x3fff;

/** The attributes in `buf`; `typeMask` says which bits of each type are kept (ATTR_TYPE_BITS drops the flags). */
export function attrTree(buf: Buffer, typeMask = 0xffff): Attr[] {
  const out: Attr[] = [];
  for (let at = 0; at + 4 <= buf.length;) {
    const len = buf.readUInt16LE(at);
    if (len < 4) break;
    const raw = buf.readUInt16LE(at + 2);
    const data = buf.subarray(at + 4, at + len);
    out.push({ type: raw & typeMask, value: raw & 0x8000 ? attrTree(data, typeMask) : data.toString('hex') });
    at += (len + 3) & ~3;
  }
  return out.sort((a, b) => (a.type & ATTR_TYPE_BITS) - (b.type & ATTR_TYPE_BITS));
}
