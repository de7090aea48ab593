/**
 * Set elements written straight as nfnetlink messages, one batch = one
 * transaction, without libnftables: NFT_MSG_NEWSETELEM / NFT_MSG_DELSETELEM
 * between NFNL_MSG_BATCH_BEGIN and BATCH_END, many elements per message (up
 * to what a nested attribute holds), everything in one send(). libnftables
 * spends most of a 100,000-element add parsing JSON and checking elements;
 * this costs what the kernel costs.
 *
 * Only for plain (non-interval) sets: an interval set needs start/end
 * elements, which libnftables computes. All-or-nothing: an error anywhere
 * aborts the whole batch, and the error names the set and operation.
 */
import { constants } from 'node:os';
import { KernelError } from '../../src/core/errors.js';
import { environmentErrorFor } from '../env.js';
import { align4, NLA_F_NESTED, NLA_F_NET_BYTEORDER } from '../netlink/attributes.js';
import { NLM_F, NLMSG_HDRLEN } from '../netlink/socket.js';
import { NFT_MAX_TIMEOUT_MS } from './element.js';
import type { NfnlBatchSocket } from '../netlink/batch-socket.js';
import { NFT_FAMILY, type NftFamily } from './json.js';

const NFNL_SUBSYS_NFTABLES = 10;
const NFNL_MSG_BATCH_BEGIN = 0x10;
const NFNL_MSG_BATCH_END = 0x11;
const NFT_MSG_NEWSETELEM = 12;
const NFT_MSG_DELSETELEM = 14;
const NFTA_SET_ELEM_LIST_TABLE = 1;
const NFTA_SET_ELEM_LIST_SET = 2;
const NFTA_SET_ELEM_LIST_ELEMENTS = 3;
const NFTA_LIST_ELEM = 1;
const NFTA_SET_ELEM_KEY = 1;
const NFTA_SET_ELEM_TIMEOUT = 4;
const NFTA_DATA_VALUE = 1;
const NFGENMSG_LEN = 4;
/** Bytes of elements per message: the ELEMENTS attribute's length is 16 bits. */
const ELEMENTS_PER_MESSAGE_BYTES = 60_000;

/** One element: key bytes in network order (4 or 16 for addresses), timeout in ms or null (permanent). */
export interface RawElement {
  readonly key: Uint8Array;
  readonly timeoutMs: number | null;
}

/**
 * Add or delete elements in set `set`, packed (100,000 elements must not be
 * 100,000 buffers): keys of `keyLen` bytes back to back in `keys`, and for an
 * add each element's timeout in ms (null = permanent).
 */
export interface ElementChange {
  readonly op: 'add' | 'delete';
  readonly set: string;
  readonly keyLen: number;
  readonly keys: Buffer;
  readonly timeoutsMs?: readonly (number | null)[];
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

function countOf(change: ElementChange): number {
  return change.keyLen > 0 ? Math.floor(change.keys.length / change.keyLen) : 0;
}

function elementSize(change: ElementChange, i: number): number {
  return 12 + align4(change.keyLen) + (change.op === 'add' && (change.timeoutsMs?.[i] ?? null) !== null ? 12 : 0);
}

function errnoName(code: number): string {
  const name = Object.entries(constants.errno).find(([, v]) => v === code)?.[0];
  return name ? `${name} (${code})` : `errno ${code}`;
}

/** A message's place in the batch, to name what failed. */
interface Sent {
  readonly change: ElementChange;
  readonly from: number;
  readonly to: number;
}

/** Writes element changes to sets of one table as single transactions. */
export class SetElementWriter {
  private seq = (Math.floor(Math.random() * 0x3fffffff) + 1) >>> 0;

  /** `sock` is the batch socket; `family`/`table` name the table the sets are in. */
  constructor(private readonly sock: NfnlBatchSocket, private readonly family: NftFamily, private readonly table: string) {}

  /**
   * Applies `changes` in order as ONE transaction. Throws KernelError naming
   * the failing set and operation; then nothing of the batch was applied.
   */
  async apply(changes: readonly ElementChange[]): Promise<void> {
    const { buf, sent, begin } = this.encode(changes);
    if (sent.size === 0) return;
    const answers = await this.sock.transact(buf);
    for (const [seq, code] of answers) {
      if (code === 0) continue;
      const s = sent.get(seq);
      const what = s
        ? `${s.change.op === 'add' ? 'adding' : 'deleting'} elements ${s.from}–${s.to - 1} of ${countOf(s.change)} ${s.change.op === 'add' ? 'to' : 'from'} set ${this.family} ${this.table} ${s.change.set}`
        : seq === begin ? 'the batch' : `message ${seq}`;
      const text = `nftables: ${what} failed: ${code === constants.errno.EPERM ? 'Operation not permitted' : errnoName(code)}; nothing of the batch was applied`;
      throw environmentErrorFor(text) ?? new KernelError(text, `netlink batch of ${changes.length} element changes`);
    }
    for (const seq of sent.keys()) {
      if (!answers.has(seq)) throw new KernelError(`nftables: no answer to element message ${seq}; batch outcome unknown`, 'netlink batch');
    }
  }

  private nextSeq(): number {
    this.seq = this.seq >= 0x7fffffff ? 1 : this.seq + 1;
    return this.seq;
  }

  /** Encodes the batch into one buffer; every element message asks for an ACK. */
  private encode(changes: readonly ElementChange[]): { buf: Buffer; sent: Map<number, Sent>; begin: number } {
    const tableLen = Buffer.byteLength(this.table) + 1;
    // Split each change into messages of at most ELEMENTS_PER_MESSAGE_BYTES of elements.
    const plan: { change: ElementChange; from: number; to: number; bytes: number }[] = [];
    let total = 2 * (NLMSG_HDRLEN + NFGENMSG_LEN);
    for (const change of changes) {
      const count = countOf(change);
      const head = NLMSG_HDRLEN + NFGENMSG_LEN + 4 + align4(tableLen) + 4 + align4(Buffer.byteLength(change.set) + 1) + 4;
      let from = 0;
      let bytes = 0;
      for (let i = 0; i < count; i++) {
        const size = elementSize(change, i);
        if (bytes + size > ELEMENTS_PER_MESSAGE_BYTES) {
          plan.push({ change, from, to: i, bytes });
          total += head + bytes;
          from = i;
          bytes = 0;
        }
        bytes += size;
      }
      if (bytes > 0) {
        plan.push({ change, from, to: count, bytes });
        total += head + bytes;
      }
    }
    const buf = Buffer.alloc(total);
    const sent = new Map<number, Sent>();
    let off = 0;
    const header = (type: number, flags: number, family: number, resId: number): { at: number; seq: number } => {
      const at = off;
      const seq = this.nextSeq();
      buf.writeUInt16LE(type, at + 4);
      buf.writeUInt16LE(NLM_F.REQUEST | flags, at + 6);
      buf.writeUInt32LE(seq, at + 8);
      buf.writeUInt8(family, at + 16);
      buf.writeUInt16BE(resId, at + 18);
      off += NLMSG_HDRLEN + NFGENMSG_LEN;
      return { at, seq };
    };
    const attrHead = (type: number, len: number): void => {
      buf.writeUInt16LE(len, off);
      buf.writeUInt16LE(type, off + 2);
      off += 4;
    };
    const str = (type: number, s: string): void => {
      const len = Buffer.byteLength(s) + 1;
      attrHead(type, 4 + len);
      buf.write(s, off);
      off += align4(len);
    };
    const close = (at: number): void => {
      buf.writeUInt32LE(off - at, at);
    };

    const b = header(NFNL_MSG_BATCH_BEGIN, 0, 0, NFNL_SUBSYS_NFTABLES);
    close(b.at);
    for (const p of plan) {
      const add = p.change.op === 'add';
      const type = (NFNL_SUBSYS_NFTABLES << 8) | (add ? NFT_MSG_NEWSETELEM : NFT_MSG_DELSETELEM);
      const m = header(type, NLM_F.ACK | (add ? NLM_F.CREATE : 0), NFT_FAMILY[this.family], 0);
      str(NFTA_SET_ELEM_LIST_TABLE, this.table);
      str(NFTA_SET_ELEM_LIST_SET, p.change.set);
      attrHead(NFTA_SET_ELEM_LIST_ELEMENTS | NLA_F_NESTED, 4 + p.bytes);
      // The hot loop (100,000 elements): attribute headers as one u32 each (length | type << 16).
      const { keys, keyLen: rawLen, timeoutsMs } = p.change;
      const keyLen = align4(rawLen);
      for (let i = p.from; i < p.to; i++) {
        const t = add ? timeoutsMs?.[i] ?? null : null;
        buf.writeUInt32LE(12 + keyLen + (t !== null ? 12 : 0) + (NFTA_LIST_ELEM | NLA_F_NESTED) * 0x10000, off);
        buf.writeUInt32LE(8 + keyLen + (NFTA_SET_ELEM_KEY | NLA_F_NESTED) * 0x10000, off + 4);
        buf.writeUInt32LE(4 + rawLen + (NFTA_DATA_VALUE | NLA_F_NET_BYTEORDER) * 0x10000, off + 8);
        keys.copy(buf, off + 12, i * rawLen, (i + 1) * rawLen);
        off += 12 + keyLen;
        if (t !== null) {
          // Never a value the kernel refuses (ERANGE would fail the whole batch).
          const ms = Math.min(Math.max(Math.round(t), 1), NFT_MAX_TIMEOUT_MS);
          buf.writeUInt32LE(12 + (NFTA_SET_ELEM_TIMEOUT | NLA_F_NET_BYTEORDER) * 0x10000, off);
          buf.writeUInt32BE(Math.floor(ms / 0x100000000), off + 4);
          buf.writeUInt32BE(ms >>> 0, off + 8);
          off += 12;
        }
      }
      close(m.at);
      sent.set(m.seq, { change: p.change, from: p.from, to: p.to });
    }
    const e = header(NFNL_MSG_BATCH_END, 0, 0, NFNL_SUBSYS_NFTABLES);
    close(e.at);
    return { buf, sent, begin: b.seq };
  }
}
