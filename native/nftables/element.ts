/**
 * Set elements: NEWSETELEM / DELSETELEM messages, many elements per message
 * (up to what the 16-bit length of the ELEMENTS attribute holds), packed so
 * that 100,000 elements are neither 100,000 buffers nor 100,000 objects.
 * Interval sets hold a prefix as two elements, its first address and the
 * first address after it flagged INTERVAL_END (none when the prefix reaches
 * the end of the address space); an add also carries a zero key flagged
 * INTERVAL_END first, as nft sends it.
 */
import { align4, NLA_F_NESTED } from '../netlink/attributes.js';
import { NFT_MSG, type NftMessage } from './message.js';
import { NFT_FAMILY, type NftTable } from './family.js';
import { NLM_F } from '../netlink/socket.js';

const NFTA_SET_ELEM_LIST_TABLE = 1;
const NFTA_SET_ELEM_LIST_SET = 2;
const NFTA_SET_ELEM_LIST_ELEMENTS = 3;
const NFTA_SET_ELEM_LIST_SET_ID = 4;
const NFTA_LIST_ELEM = 1;
const NFTA_SET_ELEM_KEY = 1;
const NFTA_SET_ELEM_FLAGS = 3;
const NFTA_SET_ELEM_TIMEOUT = 4;
const NFTA_DATA_VALUE = 1;
/** NFT_SET_ELEM_INTERVAL_END. */
export const INTERVAL_END = 0x1;
/** Bytes of elements per message: the ELEMENTS attribute's length is 16 bits. */
const ELEMENTS_PER_MESSAGE_BYTES = 60_000;

/**
 * Longest element timeout the kernel takes, in ms: nf_msecs_to_jiffies64()
 * (net/netfilter/nf_tables_api.c) refuses with ERANGE any NFTA_SET_ELEM_TIMEOUT
 * (a be64 of ms) >= U64_MAX / NSEC_PER_MSEC = 18,446,744,073,709 — about 584
 * years. Probed on 6.1 and 6.18: …708 is taken, …709 refused.
 */
export const NFT_MAX_TIMEOUT_MS = 18_446_744_073_708;
/** The same limit in whole seconds. */
export const NFT_MAX_TIMEOUT_S = Math.floor(NFT_MAX_TIMEOUT_MS / 1000);

/** One element: key bytes in network order (4 or 16 for addresses), timeout in ms or null (permanent). */
export interface RawElement {
  readonly key: Uint8Array;
  readonly timeoutMs: number | null;
}

/**
 * Add or delete elements in set `set`, packed: keys of `keyLen` bytes back to
 * back in `keys`; for an add each element's timeout in ms (null =
 * permanent); `ends[i]` = 1 flags element i as an interval end.
 */
export interface ElementChange {
  readonly op: 'add' | 'delete';
  readonly set: string;
  readonly keyLen: number;
  readonly keys: Buffer;
  readonly timeoutsMs?: readonly (number | null)[];
  readonly ends?: Uint8Array;
}

/** Packs elements given one by one (keys of one length) into an ElementChange. */
export function elementChange(op: 'add' | 'delete', set: string, elements: readonly RawElement[]): ElementChange {
  const keyLen = elements[0]?.key.length ?? 4;
  const keys = Buffer.alloc(keyLen * elements.length);
  elements.forEach((e, i) => {
    if (e.key.length !== keyLen) throw new RangeError(`set ${set}: key ${i} has ${e.key.length} bytes, not ${keyLen}`);
    keys.set(e.key, i * keyLen);
  });
  return { op, set, keyLen, keys, timeoutsMs: elements.map((e) => e.timeoutMs) };
}

/** A prefix as interval elements: its first address and the first one after it (null at the end of the address space). */
export interface IntervalBounds {
  readonly start: Buffer;
  readonly end: Buffer | null;
}

/** The bounds of `addr/len` (addr in network order; host bits are cleared). */
export function prefixBounds(addr: Uint8Array, len: number): IntervalBounds {
  const start = Buffer.from(addr);
  for (let bit = len; bit < start.length * 8; bit++) start[bit >> 3]! &= ~(0x80 >> (bit & 7));
  if (len === 0) return { start, end: null };
  const end = Buffer.from(start);
  // Add 1 at bit `len - 1` (the last bit of the prefix), carrying towards the front.
  let i = (len - 1) >> 3;
  let carry = 0x80 >> ((len - 1) & 7);
  for (; i >= 0 && carry; i--) {
    const v = (end[i] as number) + carry;
    end[i] = v & 0xff;
    carry = v > 0xff ? 1 : 0;
  }
  return { start, end: carry ? null : end };
}

/**
 * Interval elements of `prefixes` in set `set` with keys of `keyLen` bytes:
 * start elements (with the timeout on an add), end elements flagged
 * INTERVAL_END; an add starts with the zero key flagged INTERVAL_END, as nft
 * sends it (a no-op when it is there).
 */
export function intervalChange(op: 'add' | 'delete', set: string, keyLen: number, prefixes: readonly (IntervalBounds & { readonly timeoutMs: number | null })[]): ElementChange {
  const keys: Buffer[] = [];
  const ends: number[] = [];
  const timeouts: (number | null)[] = [];
  const push = (key: Buffer, end: boolean, t: number | null): void => {
    keys.push(key);
    ends.push(end ? INTERVAL_END : 0);
    timeouts.push(t);
  };
  if (op === 'add' && prefixes.length > 0) push(Buffer.alloc(keyLen), true, null);
  for (const p of prefixes) {
    push(p.start, false, p.timeoutMs);
    if (p.end) push(p.end, true, null);
  }
  return { op, set, keyLen, keys: Buffer.concat(keys), ends: Uint8Array.from(ends), ...(op === 'add' ? { timeoutsMs: timeouts } : {}) };
}

/** Number of elements in a change. */
export function countOf(change: ElementChange): number {
  return change.keyLen > 0 ? Math.floor(change.keys.length / change.keyLen) : 0;
}

function timeoutOf(change: ElementChange, i: number): number | null {
  return change.op === 'add' ? change.timeoutsMs?.[i] ?? null : null;
}

function elementSize(change: ElementChange, i: number): number {
  return 12 + align4(change.keyLen) + (change.ends?.[i] ? 8 : 0) + (timeoutOf(change, i) !== null ? 12 : 0);
}

function strAttrInto(buf: Buffer, off: number, type: number, s: string): number {
  const len = Buffer.byteLength(s) + 1;
  buf.writeUInt16LE(4 + len, off);
  buf.writeUInt16LE(type, off + 2);
  buf.write(s, off + 4);
  return off + align4(4 + len);
}

/**
 * The messages of one change to a set of table `t` (split so that no
 * ELEMENTS attribute outgrows 16 bits). `setId` names a set created in the
 * same batch by id (anonymous sets, whose name the kernel picks).
 */
export function elementMessages(t: NftTable, change: ElementChange, setId?: number): NftMessage[] {
  const add = change.op === 'add';
  const count = countOf(change);
  const out: NftMessage[] = [];
  const verb = add ? 'adding' : 'deleting';
  const prep = add ? 'to' : 'from';
  const head = 4 + align4(Buffer.byteLength(t.name) + 1) + 4 + align4(Buffer.byteLength(change.set) + 1) + (setId === undefined ? 0 : 8) + 4;
  const { keys, keyLen: rawLen, ends } = change;
  const keyLen = align4(rawLen);
  for (let from = 0; from < count;) {
    let to = from;
    let bytes = 0;
    while (to < count && (to === from || bytes + elementSize(change, to) <= ELEMENTS_PER_MESSAGE_BYTES)) bytes += elementSize(change, to++);
    const buf = Buffer.alloc(head + bytes);
    let off = strAttrInto(buf, 0, NFTA_SET_ELEM_LIST_TABLE, t.name);
    off = strAttrInto(buf, off, NFTA_SET_ELEM_LIST_SET, change.set);
    if (setId !== undefined) {
      buf.writeUInt32LE(8 + NFTA_SET_ELEM_LIST_SET_ID * 0x10000, off);
      buf.writeUInt32BE(setId, off + 4);
      off += 8;
    }
    buf.writeUInt32LE(4 + bytes + (NFTA_SET_ELEM_LIST_ELEMENTS | NLA_F_NESTED) * 0x10000, off);
    off += 4;
    // The hot loop (100,000 elements): attribute headers as one u32 each (length | type << 16).
    for (let i = from; i < to; i++) {
      const timeout = timeoutOf(change, i);
      const end = ends?.[i] ? 8 : 0;
      buf.writeUInt32LE(12 + keyLen + end + (timeout !== null ? 12 : 0) + (NFTA_LIST_ELEM | NLA_F_NESTED) * 0x10000, off);
      off += 4;
      if (end) {
        buf.writeUInt32LE(8 + NFTA_SET_ELEM_FLAGS * 0x10000, off);
        buf.writeUInt32BE(INTERVAL_END, off + 4);
        off += 8;
      }
      buf.writeUInt32LE(8 + keyLen + (NFTA_SET_ELEM_KEY | NLA_F_NESTED) * 0x10000, off);
      buf.writeUInt32LE(4 + rawLen + NFTA_DATA_VALUE * 0x10000, off + 4);
      keys.copy(buf, off + 8, i * rawLen, (i + 1) * rawLen);
      off += 8 + keyLen;
      if (timeout !== null) {
        // Never a value the kernel refuses (ERANGE would fail the whole batch).
        const ms = Math.min(Math.max(Math.round(timeout), 1), NFT_MAX_TIMEOUT_MS);
        buf.writeUInt32LE(12 + NFTA_SET_ELEM_TIMEOUT * 0x10000, off);
        buf.writeUInt32BE(Math.floor(ms / 0x100000000), off + 4);
        buf.writeUInt32BE(ms >>> 0, off + 8);
        off += 12;
      }
    }
    out.push({
      msg: add ? NFT_MSG.NEWSETELEM : NFT_MSG.DELSETELEM, flags: add ? NLM_F.CREATE : 0, family: NFT_FAMILY[t.family], attrs: buf,
      what: `${verb} elements ${from}–${to - 1} of ${count} ${prep} set ${t.family} ${t.name} ${change.set}`,
    });
    from = to;
  }
  return out;
}
