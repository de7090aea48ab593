/**
 * Netlink request/reply and multicast events over our own socket
 * (native/netlink/fd.ts, libc through koffi), reusable by every netlink user
 * in f2b-fw (the ipset session, the nftables dumps, the ruleset watcher).
 *
 * Usage:
 *   const sock = NetlinkSocket.open(NETLINK_NETFILTER);
 *   const replies = await sock.exchange([{ type, flags: NLM_F.REQUEST | NLM_F.ACK, payload }]);
 *   // replies[i].errno === 0 on success; .messages holds data replies (dump parts, GET answers)
 *   sock.onNotification((msg) => …); sock.onLost(() => …); sock.addMembership(group); sock.listen(50);
 *   sock.close();
 *
 * Semantics:
 * - `exchange()` sends many requests in as few sendmsg() calls as fit in
 *   `maxSendBytes`; within one call the kernel handles them in order. Only the
 *   last request of each call needs an ACK (added automatically): an error for
 *   any request is always reported (netlink acks on error even without ACK), so
 *   when the last ACK arrives every earlier answer is in. Dumps (NLM_F_DUMP)
 *   finish on NLMSG_DONE. The kernel answers inside sendmsg() and builds each
 *   further dump chunk inside recvmsg(), so answers are read with non-blocking
 *   receives; the event loop gets a turn between chunks.
 * - Messages whose sequence number matches no pending request (multicast
 *   notifications) go to `onNotification` handlers, synchronously, with a
 *   payload that is only valid during the call. `listen(ms)` drains them on a
 *   timer; an overrun receive buffer (ENOBUFS: events were dropped) goes to
 *   `onLost` handlers and the socket keeps working.
 * - Nothing here keeps the process alive.
 * - A socket belongs to the network namespace of the process that opens it.
 */
import { KernelError } from '../../src/core/errors.js';
import { ERRNO } from '../libc.js';
import { NetlinkFd, socketError } from './fd.js';

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
   * Size of the receive buffer in bytes (default 64 KiB). The kernel sizes
   * dump chunks after the reader's buffer (up to 32 KiB), and an nftables
   * set-element dump restarts its walk for every chunk: with 4 KiB chunks
   * 100,000 elements take ~10x longer.
   */
  readonly msgBufferSize?: number;
}

interface Pending {
  errno: number;
  messages: NetlinkMessage[];
  interrupted: boolean;
  done: boolean;
}

/** Datagrams read before the event loop gets a turn during a long answer (a dump). */
const YIELD_EVERY = 64;

/** A netlink socket with request/reply bookkeeping (see the module comment). */
export class NetlinkSocket {
  private readonly fd: NetlinkFd;
  private readonly rbuf: Buffer;
  private readonly pending = new Map<number, Pending>();
  private readonly notificationHandlers: ((m: NetlinkMessage) => void)[] = [];
  private readonly lostHandlers: (() => void)[] = [];
  private seq = Math.floor(Math.random() * 0x3fffffff) + 1;
  private busy: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private readonly maxSendBytes: number;
  private readonly timeoutMs: number;

  private constructor(fd: NetlinkFd, options: NetlinkSocketOptions) {
    this.fd = fd;
    this.rbuf = Buffer.alloc(options.msgBufferSize ?? 65536);
    this.maxSendBytes = options.maxSendBytes ?? 65536;
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  /** Opens a socket for `protocol` (e.g. NETLINK_NETFILTER) in the caller's network namespace. */
  static open(protocol: number, options: NetlinkSocketOptions = {}): NetlinkSocket {
    return new NetlinkSocket(NetlinkFd.open(protocol, options.recvBufferSize ?? 4 * 1024 * 1024), options);
  }

  /** Subscribes to a multicast group (e.g. NFNLGRP_NFTABLES); events reach `onNotification`. */
  addMembership(group: number): void {
    this.fd.membership(group, true);
  }

  /** Leaves a multicast group. */
  dropMembership(group: number): void {
    this.fd.membership(group, false);
  }

  /** Registers a handler for messages that answer no pending request (multicast events). */
  onNotification(handler: (m: NetlinkMessage) => void): void {
    this.notificationHandlers.push(handler);
  }

  /** Registers a handler for dropped events (the receive buffer overran). */
  onLost(handler: () => void): void {
    this.lostHandlers.push(handler);
  }

  /** Reads the events queued now (handlers run before this returns). */
  readQueued(): void {
    if (this.pending.size === 0) this.drain();
  }

  /** Reads queued events every `periodMs` (an unref'd timer) until close(). */
  listen(periodMs: number): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = setInterval(() => {
      if (this.pending.size === 0) this.drain();
    }, periodMs);
    this.timer.unref();
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

  /** Closes the socket; later exchanges fail. */
  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.fd.close();
  }

  private async exchangeNow(requests: readonly NetlinkRequest[]): Promise<NetlinkReply[]> {
    if (!this.fd.open) throw new KernelError('netlink socket is closed', 'sendmsg');
    const seqs: number[] = [];
    let group: Buffer[] = [];
    let groupBytes = 0;
    try {
      for (let i = 0; i < requests.length; i++) {
        const req = requests[i]!;
        const seq = this.nextSeq();
        const isLast = i === requests.length - 1;
        const size = NLMSG_HDRLEN + req.payload.length;
        const nextSize = isLast ? 0 : NLMSG_HDRLEN + requests[i + 1]!.payload.length;
        const isDump = (req.flags & NLM_F.DUMP) === NLM_F.DUMP;
        const closesGroup = isLast || groupBytes + size + nextSize > this.maxSendBytes || isDump;
        const flags = NLM_F.REQUEST | req.flags | (closesGroup && !isDump ? NLM_F.ACK : 0);
        group.push(header(size, req.type, flags, seq), req.payload);
        groupBytes += size;
        seqs.push(seq);
        this.pending.set(seq, { errno: 0, messages: [], interrupted: false, done: false });
        if (closesGroup) {
          await this.fd.send(Buffer.concat(group));
          await this.awaitAnswer(seq);
          group = [];
          groupBytes = 0;
        }
      }
      return seqs.map((seq) => {
        const p = this.pending.get(seq)!;
        return { seq, errno: p.errno, messages: p.messages, interrupted: p.interrupted };
      });
    } finally {
      for (const seq of seqs) this.pending.delete(seq);
    }
  }

  /** Reads until the request `seq` is answered (ACK, error or end of dump). */
  private async awaitAnswer(seq: number): Promise<void> {
    const p = this.pending.get(seq)!;
    const deadline = Date.now() + this.timeoutMs;
    let reads = 0;
    while (!p.done) {
      const r = this.fd.recv(this.rbuf);
      if ('bytes' in r) {
        this.receive(this.rbuf.subarray(0, r.bytes));
        if (++reads % YIELD_EVERY === 0) await new Promise<void>((resolve) => setImmediate(resolve));
        continue;
      }
      if (r.errno === ERRNO.ENOBUFS) {
        this.lost();
        throw socketError('recv', r.errno, 'netlink answers were dropped (receive buffer overrun)');
      }
      if (r.errno !== ERRNO.EAGAIN) throw socketError('recv', r.errno, 'reading netlink answers failed');
      // The kernel answers inside sendmsg(); an empty queue before the answer is rare (deferred work).
      if (Date.now() > deadline) throw new KernelError(`netlink: no answer from the kernel within ${this.timeoutMs} ms`, 'recv');
      await new Promise<void>((resolve) => setTimeout(resolve, 1));
    }
  }

  /** Reads every queued datagram (events); an overrun is reported to `onLost`. */
  private drain(): void {
    for (;;) {
      const r = this.fd.recv(this.rbuf);
      if ('bytes' in r) {
        this.receive(this.rbuf.subarray(0, r.bytes));
        continue;
      }
      if (r.errno === ERRNO.ENOBUFS) {
        this.lost();
        continue;
      }
      return;
    }
  }

  private lost(): void {
    for (const h of this.lostHandlers) h();
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
      // The receive buffer is reused: keep a copy.
      p.messages.push({ ...msg, payload: Buffer.from(msg.payload) });
    }
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
