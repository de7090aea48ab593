/**
 * The one nftables write path, after google/nftables' `Conn`: an NftBatch
 * collects messages (tables, sets, chains, rules, counters, elements and
 * their deletes) and keeps the first error met while building; NftConn
 * flushes it once, as ONE transaction (NFNL_MSG_BATCH_BEGIN … BATCH_END in
 * one send()), optionally carrying the ruleset generation it was planned
 * against in BATCH_BEGIN (NFNL_BATCH_GENID): when the ruleset moved on since
 * that generation, the kernel refuses the whole batch with ERESTART and
 * flush throws GenerationChanged, so the caller re-reads and re-plans
 * instead of overwriting someone else's change. Every message asks for an
 * ACK, so a failure names the message the kernel refused.
 */
import { constants } from 'node:os';
import { EnvironmentError, KernelError } from '../../src/core/errors.js';
import { environmentErrorForErrno } from '../env.js';
import { NfnlBatchSocket } from '../netlink/batch-socket.js';
import { NLM_F, NLMSG_HDRLEN } from '../netlink/socket.js';
import { NFGENMSG_LEN, align4 } from '../netlink/attributes.js';
import { NFNL_SUBSYS_NFTABLES, type NftMessage } from './message.js';
import { newSet, type NftSet } from './set.js';
import { newRule, type NftRule, type SetIds } from './rule.js';
import { elementMessages, type ElementChange } from './element.js';
import type { NftTable } from './family.js';

const NFNL_MSG_BATCH_BEGIN = 0x10;
const NFNL_MSG_BATCH_END = 0x11;
const NFNL_BATCH_GENID = 1;
/** The kernel's answer to a batch whose generation is stale. */
export const ERESTART = 85;

/** The ruleset changed after the generation the batch was planned against: nothing was applied. */
export class GenerationChanged extends KernelError {
  constructor(readonly generation: number, what: string) {
    super(`nftables: the ruleset changed after generation ${generation}; the batch was refused as a whole (ERESTART)`, what, { operation: 'commit', errno: ERESTART });
  }
}

function errnoName(code: number): string {
  const name = Object.entries(constants.errno).find(([, v]) => v === code)?.[0];
  return name ? `${name} (${code})` : `errno ${code}`;
}

/** Messages of one transaction, in order, and the first error met while building them. */
export class NftBatch {
  private readonly messages: NftMessage[] = [];
  private firstError: Error | undefined;
  private lastId = 0;
  private readonly setIds = new Map<string, number>();
  /** Element changes queued (ownCommit decides on this whether watchers step aside). */
  elements = 0;

  /** Ids of sets created in this batch, and fresh ids (for rules' lookups). */
  readonly ids: SetIds = {
    named: (name) => this.setIds.get(name),
    next: () => ++this.lastId,
  };

  /** Appends the messages `build` makes; an exception it throws is kept (the first one) and thrown by flush. */
  add(build: () => NftMessage | readonly NftMessage[]): this {
    if (this.firstError) return this;
    try {
      const m = build();
      if (Array.isArray(m)) this.messages.push(...(m as readonly NftMessage[]));
      else this.messages.push(m as NftMessage);
    } catch (e) {
      this.firstError = e as Error;
    }
    return this;
  }

  /** `add set`, remembering its id for rules of the same batch. */
  addSet(s: NftSet): this {
    const id = this.ids.next();
    this.setIds.set(s.name, id);
    return this.add(() => newSet(s, id));
  }

  /** `add rule` with the anonymous sets it needs. */
  addRule(r: NftRule): this {
    return this.add(() => newRule(r, this.ids));
  }

  /** Element changes of one set. */
  addElements(t: NftTable, change: ElementChange): this {
    this.elements += change.keyLen > 0 ? change.keys.length / change.keyLen : 0;
    return this.add(() => elementMessages(t, change));
  }

  /** Number of messages queued. */
  get size(): number {
    return this.messages.length;
  }

  /** The queued messages. */
  list(): readonly NftMessage[] {
    return this.messages;
  }

  /** The first error met while building, if any. */
  get error(): Error | undefined {
    return this.firstError;
  }
}

/** Where each message went in an encoded batch. */
interface Encoded {
  readonly buf: Buffer;
  readonly begin: number;
  readonly seqs: readonly number[];
}

/** A netlink connection that flushes NftBatches, one at a time, in call order. */
export class NftConn {
  private seq = (Math.floor(Math.random() * 0x3fffffff) + 1) >>> 0;
  private tail: Promise<unknown> = Promise.resolve();
  private sock: NfnlBatchSocket | undefined;

  /** `sock` defaults to a batch socket opened on first flush, in this process's network namespace. */
  constructor(sock?: NfnlBatchSocket) {
    this.sock = sock;
  }

  /**
   * Sends `batch` as one transaction (nothing when it is empty). `genid`:
   * the generation the batch was planned against (GenerationChanged when the
   * ruleset has moved on). Throws the batch's first building error, an
   * EnvironmentError (no CAP_NET_ADMIN, no nf_tables), or a KernelError
   * naming the refused message; in every failure nothing was applied.
   */
  flush(batch: NftBatch, genid?: number): Promise<void> {
    const result = this.tail.then(() => this.send(batch, genid));
    this.tail = result.catch(() => undefined);
    return result;
  }

  /**
   * Runs `fn` alone in the queue (read, plan, write without our own writes
   * in between); `fn` writes through the `send` it is given, not `flush`.
   */
  exclusive<T>(fn: (send: (batch: NftBatch, genid?: number) => Promise<void>) => Promise<T>): Promise<T> {
    const result = this.tail.then(() => fn((batch, genid) => this.send(batch, genid)));
    this.tail = result.catch(() => undefined);
    return result;
  }

  /** Encodes a batch without sending it (golden payload tests). */
  encode(batch: NftBatch, genid?: number): Buffer {
    return this.encodeBatch(batch.list(), genid).buf;
  }

  private async send(batch: NftBatch, genid: number | undefined): Promise<void> {
    if (batch.error) throw batch.error;
    const messages = batch.list();
    if (messages.length === 0) return;
    const { buf, begin, seqs } = this.encodeBatch(messages, genid);
    this.sock ??= NfnlBatchSocket.open();
    const answers = await this.sock.transact(buf);
    const beginCode = answers.get(begin) ?? 0;
    const summary = `netlink batch of ${messages.length} nftables messages (first: ${messages[0]!.what})`;
    if (beginCode === ERESTART && genid !== undefined) throw new GenerationChanged(genid, summary);
    if (beginCode !== 0) throw this.failure('the batch', beginCode, summary);
    for (let i = 0; i < messages.length; i++) {
      const code = answers.get(seqs[i]!);
      if (code !== undefined && code !== 0) throw this.failure(messages[i]!.what, code, summary);
    }
    for (let i = 0; i < messages.length; i++) {
      if (!answers.has(seqs[i]!)) throw new KernelError(`nftables: no answer to "${messages[i]!.what}"; batch outcome unknown`, summary);
    }
  }

  private failure(what: string, code: number, summary: string): EnvironmentError | KernelError {
    const text = `nftables: ${what} failed: ${errnoName(code)}; nothing of the batch was applied`;
    return environmentErrorForErrno(code, text) ?? new KernelError(text, summary, { operation: what, errno: code });
  }

  private nextSeq(): number {
    this.seq = this.seq >= 0x7fffffff ? 1 : this.seq + 1;
    return this.seq;
  }

  private encodeBatch(messages: readonly NftMessage[], genid: number | undefined): Encoded {
    const head = NLMSG_HDRLEN + NFGENMSG_LEN;
    let total = 2 * head + (genid === undefined ? 0 : 8);
    for (const m of messages) total += head + align4(m.attrs.length);
    const buf = Buffer.alloc(total);
    let off = 0;
    const header = (type: number, flags: number, family: number, resId: number, len: number): number => {
      const seq = this.nextSeq();
      buf.writeUInt32LE(len, off);
      buf.writeUInt16LE(type, off + 4);
      buf.writeUInt16LE(NLM_F.REQUEST | flags, off + 6);
      buf.writeUInt32LE(seq, off + 8);
      buf.writeUInt8(family, off + 16);
      buf.writeUInt16BE(resId, off + 18);
      off += head;
      return seq;
    };
    const begin = header(NFNL_MSG_BATCH_BEGIN, 0, 0, NFNL_SUBSYS_NFTABLES, head + (genid === undefined ? 0 : 8));
    if (genid !== undefined) {
      buf.writeUInt16LE(8, off);
      buf.writeUInt16LE(NFNL_BATCH_GENID, off + 2);
      buf.writeUInt32BE(genid >>> 0, off + 4);
      off += 8;
    }
    const seqs: number[] = [];
    for (const m of messages) {
      seqs.push(header((NFNL_SUBSYS_NFTABLES << 8) | m.msg, NLM_F.ACK | m.flags, m.family, 0, head + m.attrs.length));
      m.attrs.copy(buf, off);
      off += align4(m.attrs.length);
    }
    header(NFNL_MSG_BATCH_END, 0, 0, NFNL_SUBSYS_NFTABLES, head);
    return { buf, begin, seqs };
  }

  /** Closes the socket after the queued flushes finish. */
  async close(): Promise<void> {
    await this.tail;
    this.sock?.close();
    this.sock = undefined;
  }
}
