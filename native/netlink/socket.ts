/**
 * A small request/reply wrapper around the `netlink` package's
 * RawNetlinkSocket, reusable by every netlink user in f2b-fw (the ipset
 * session in native/ipset/, the ruleset watcher in native/netlink/ruleset-watch.ts).
 *
 * Usage:
 *   const sock = NetlinkSocket.open(NETLINK_NETFILTER);
 *   const replies = await sock.exchange([{ type, flags: NLM_F.REQUEST | NLM_F.ACK, payload }]);
 *   // replies[i].errno === 0 on success; .messages holds data replies (dump parts, GET answers)
 *   sock.onNotification((msg) => …); sock.addMembership(group);   // multicast events
 *   sock.close();
 *
 * Semantics:
 * - `exchange()` sends many requests in as few sendmsg() calls as fit in
 *   `maxSendBytes`; within one call the kernel handles them in order. Only the
 *   last request of each call needs an ACK (added automatically): an error for
 *   any request is always reported (netlink acks on error even without ACK), so
 *   when the last ACK arrives every earlier answer is in. Dumps (NLM_F_DUMP)
 *   finish on NLMSG_DONE.
 * - Messages whose sequence number matches no pending request (multicast
 *   notifications) go to `onNotification` handlers.
 * - The socket is unref'd while idle so it never keeps the process alive.
 * - A socket belongs to the network namespace of the process that opens it.
 */
import { RawNetlinkSocket } from 'netlink';
import { KernelError } from '../../src/core/errors.js';

/** Netlink protocol number of nfnetlink (nftables, ipset, conntrack…). */
export const NETLINK_NETFILTER = 12;

/** nlmsghdr flags (linux/netlink.h). */
export const NLM_F = {
  REQUEST: 0x1,
  MULTI: 0x2,
  ACK: 0x4,
  ECHO: 0x8,
  DUMP_INTR: 0x10,
  /** GET flags. */
  DUMP: 0x300,
  /** NEW flags. */
  REPLACE: 0x100,
  EXCL: 0x200,
  CREATE: 0x400,
  APPEND: 0x800,
} as const;

/** Control message types. */
export const NLMSG_ERROR = 2;
export const NLMSG_DONE = 3;

/** Length of `struct nlmsghdr`. */
export const NLMSG_HDRLEN = 16;

/** One request to send: message type, flags (REQUEST is added), payload after the header. */
export interface NetlinkRequest {
  readonly type: number;
  readonly flags: number;
  readonly payload: Buffer;
}

/** One received message (header fields and payload after the header). */
export interface NetlinkMessage {
  readonly type: number;
  readonly flags: number;
  readonly seq: number;
  readonly payload: Buffer;
}

/** The kernel's answer to one request. */
export interface NetlinkReply {
  readonly seq: number;
  /** 0 on success, else the positive error number the kernel reported. */
  readonly errno: number;
  /** Data messages answering this request (parts of a dump, GET replies). */
  readonly messages: readonly NetlinkMessage[];
  /** A dump was interrupted by a concurrent change (NLM_F_DUMP_INTR): retry for a consistent view. */
  readonly interrupted: boolean;
}

/** Options for `NetlinkSocket.open`. */
export interface NetlinkSocketOptions {
  /** SO_RCVBUF size in bytes (default 4 MiB; the kernel caps it at rmem_max unless privileged). */
  readonly recvBufferSize?: number;
  /** Largest number of bytes packed into one sendmsg() (default 64 KiB). */
  readonly maxSendBytes?: number;
  /** How long to wait for the kernel's answers to one sendmsg(), in ms (default 10 s). */
  readonly timeoutMs?: number;
  /**
   * Receive with a fixed buffer of this many bytes instead of peeking at each
   * message's size. The kernel sizes dump chunks after the reader's buffer (up
   * to 32 KiB), and an nftables set-element dump restarts its walk for every
   * chunk: with 4 KiB chunks 100,000 elements take ~10x longer.
   */
  readonly msgBufferSize?: number;
}

interface Pending {
  errno: number;
  messages: NetlinkMessage[];
  interrupted: boolean;
  done: boolean;
}

interface Waiter {
  readonly seqs: readonly number[];
  resolve(): void;
  reject(e: Error): void;
}

/** A netlink socket with request/reply bookkeeping (see the module comment). */
export class NetlinkSocket {
  private readonly raw: RawNetlinkSocket;
  private readonly pending = new Map<number, Pending>();
  private readonly notificationHandlers: ((m: NetlinkMessage) => void)[] = [];
  private waiter: Waiter | undefined;
  private seq = Math.floor(Math.random() * 0x3fffffff) + 1;
  private busy: Promise<unknown> = Promise.resolve();
  private closed = false;
  private readonly maxSendBytes: number;
  private readonly timeoutMs: number;

  private constructor(raw: RawNetlinkSocket, options: NetlinkSocketOptions) {
    this.raw = raw;
    this.maxSendBytes = options.maxSendBytes ?? 65536;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    raw.on('message', (buf) => this.receive(buf));
    raw.on('error', (err) => this.fail(new KernelError(`netlink socket error: ${err.code ?? err.message}`, 'recvmsg')));
    raw.unref();
  }

  /** Opens a socket for `protocol` (e.g. NETLINK_NETFILTER) in the caller's network namespace. */
  static open(protocol: number, options: NetlinkSocketOptions = {}): NetlinkSocket {
    const recv = options.recvBufferSize ?? 4 * 1024 * 1024;
    const peek = options.msgBufferSize === undefined ? {} : { messagePeeking: false, msgBufferSize: options.msgBufferSize };
    const raw = new RawNetlinkSocket(protocol, { recvBufferSize: recv, sendBufferSize: 1024 * 1024, ...peek });
    return new NetlinkSocket(raw, options);
  }

  /** Subscribes to a multicast group (e.g. NFNLGRP_NFTABLES); events reach `onNotification`. */
  addMembership(group: number): void {
    this.raw.addMembership(group);
  }

  /** Registers a handler for messages that answer no pending request (multicast events). */
  onNotification(handler: (m: NetlinkMessage) => void): void {
    this.notificationHandlers.push(handler);
  }

  /** Keeps the process alive while the socket is open (for event listeners); `false` undoes it. */
  keepAlive(on: boolean): void {
    if (on) this.raw.ref();
    else this.raw.unref();
  }

  /**
   * Sends `requests` and resolves with one reply each, in order. Requests are
   * serialised per socket: a second call waits for the first to finish.
   */
  exchange(requests: readonly NetlinkRequest[]): Promise<NetlinkReply[]> {
    const run = this.busy.then(() => this.exchangeNow(requests));
    this.busy = run.catch(() => undefined);
    return run;
  }

  /** Closes the socket; pending exchanges fail. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.fail(new KernelError('netlink socket closed', 'close'));
    this.raw.close();
  }

  private async exchangeNow(requests: readonly NetlinkRequest[]): Promise<NetlinkReply[]> {
    if (this.closed) throw new KernelError('netlink socket is closed', 'sendmsg');
    const seqs: number[] = [];
    let group: Buffer[] = [];
    let groupSeqs: number[] = [];
    let groupBytes = 0;
    for (let i = 0; i < requests.length; i++) {
      const req = requests[i]!;
      const seq = this.nextSeq();
      const isLast = i === requests.length - 1;
      const size = NLMSG_HDRLEN + req.payload.length;
      const nextSize = isLast ? 0 : NLMSG_HDRLEN + requests[i + 1]!.payload.length;
      const closesGroup = isLast || groupBytes + size + nextSize > this.maxSendBytes || (req.flags & NLM_F.DUMP) === NLM_F.DUMP;
      const flags = NLM_F.REQUEST | req.flags | (closesGroup && (req.flags & NLM_F.DUMP) !== NLM_F.DUMP ? NLM_F.ACK : 0);
      group.push(header(size, req.type, flags, seq), req.payload);
      groupSeqs.push(seq);
      groupBytes += size;
      seqs.push(seq);
      this.pending.set(seq, { errno: 0, messages: [], interrupted: false, done: false });
      if (closesGroup) {
        await this.sendAndWait(Buffer.concat(group), groupSeqs[groupSeqs.length - 1]!);
        group = [];
        groupSeqs = [];
        groupBytes = 0;
      }
    }
    const replies: NetlinkReply[] = [];
    for (const seq of seqs) {
      const p = this.pending.get(seq)!;
      this.pending.delete(seq);
      replies.push({ seq, errno: p.errno, messages: p.messages, interrupted: p.interrupted });
    }
    return replies;
  }

  private sendAndWait(buf: Buffer, lastSeq: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.raw.ref();
      const timer = setTimeout(() => {
        this.waiter = undefined;
        this.raw.unref();
        reject(new KernelError(`netlink: no answer from the kernel within ${this.timeoutMs} ms`, 'sendmsg'));
      }, this.timeoutMs);
      this.waiter = {
        seqs: [lastSeq],
        resolve: () => { clearTimeout(timer); this.raw.unref(); resolve(); },
        reject: (e) => { clearTimeout(timer); this.raw.unref(); reject(e); },
      };
      this.raw.send(buf, {}, (err) => {
        if (err) this.fail(new KernelError(`netlink send failed: ${err.code ?? err.message}`, 'sendmsg'));
      });
    });
  }

  private nextSeq(): number {
    this.seq = this.seq >= 0x7fffffff ? 1 : this.seq + 1;
    return this.seq;
  }

  private receive(buf: Buffer): void {
    let off = 0;
    while (off + NLMSG_HDRLEN <= buf.length) {
      const len = buf.readUInt32LE(off);
      if (len < NLMSG_HDRLEN || off + len > buf.length) break;
      const msg: NetlinkMessage = {
        type: buf.readUInt16LE(off + 4),
        flags: buf.readUInt16LE(off + 6),
        seq: buf.readUInt32LE(off + 8),
        payload: buf.subarray(off + NLMSG_HDRLEN, off + len),
      };
      off += (len + 3) & ~3;
      this.dispatch(msg);
    }
    const w = this.waiter;
    if (w && w.seqs.every((s) => this.pending.get(s)?.done)) {
      this.waiter = undefined;
      w.resolve();
    }
  }

  private dispatch(msg: NetlinkMessage): void {
    const p = this.pending.get(msg.seq);
    if (!p) {
      for (const h of this.notificationHandlers) h(msg);
      return;
    }
    if (msg.flags & NLM_F.DUMP_INTR) p.interrupted = true;
    if (msg.type === NLMSG_ERROR) {
      const code = msg.payload.length >= 4 ? msg.payload.readInt32LE(0) : 0;
      if (code !== 0 || p.errno === 0) p.errno = -code;
      p.done = true;
    } else if (msg.type === NLMSG_DONE) {
      p.done = true;
    } else {
      p.messages.push(msg);
    }
  }

  private fail(e: Error): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.reject(e);
  }
}

function header(len: number, type: number, flags: number, seq: number): Buffer {
  const h = Buffer.alloc(NLMSG_HDRLEN);
  h.writeUInt32LE(len, 0);
  h.writeUInt16LE(type, 4);
  h.writeUInt16LE(flags, 6);
  h.writeUInt32LE(seq, 8);
  h.writeUInt32LE(0, 12);
  return h;
}
