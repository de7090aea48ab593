/**
 * A NETLINK_NETFILTER socket for nfnetlink *batches* (transactions), opened
 * through libc with koffi.
 *
 * Why not NetlinkSocket (socket.ts): a batch must reach the kernel in ONE
 * sendmsg() — the kernel commits or aborts per received buffer — and 100,000
 * elements make a batch of megabytes, more than SO_SNDBUF allows on a default
 * Debian (wmem_max 208 KiB). Growing the buffer past that takes
 * SO_SNDBUFFORCE (CAP_NET_ADMIN, which writing nftables needs anyway), and the
 * `netlink` package neither offers it nor exposes the descriptor.
 *
 * The kernel processes a batch synchronously inside sendmsg(), so when send()
 * returns every answer (errors, requested ACKs) is already queued on the
 * socket: they are read with MSG_DONTWAIT until the queue is empty. Large
 * sends run on a worker thread (koffi `.async`) so the event loop keeps serving.
 */
import koffi from 'koffi';
import { KernelError } from '../../src/core/errors.js';
import { environmentErrorFor } from '../env.js';
import { NETLINK_NETFILTER, NLMSG_ERROR, NLMSG_HDRLEN } from './socket.js';

const AF_NETLINK = 16;
const SOCK_RAW = 3;
const SOCK_CLOEXEC = 0o2000000;
const SOL_SOCKET = 1;
const SO_SNDBUF = 7;
const SO_RCVBUF = 8;
const SO_SNDBUFFORCE = 32;
const SO_RCVBUFFORCE = 33;
const MSG_DONTWAIT = 0x40;
const EAGAIN = 11;
const EINTR = 4;
const EPERM = 1;
const EPROTONOSUPPORT = 93;
/** Sends at least this big run on a worker thread. */
const ASYNC_SEND_BYTES = 64 * 1024;
const RECV_BYTES = 256 * 1024;

interface NativeFn<A extends unknown[], R> {
  (...args: A): R;
  async(...args: [...A, (err: unknown, result: R) => void]): void;
}

interface Libc {
  readonly socket: NativeFn<[number, number, number], number>;
  readonly setsockopt: NativeFn<[number, number, number, Buffer, number], number>;
  readonly send: NativeFn<[number, Buffer, number, number], number>;
  readonly recv: NativeFn<[number, Buffer, number, number], number>;
  readonly close: NativeFn<[number], number>;
}

let libc: Libc | undefined;

function loadLibc(): Libc {
  if (libc) return libc;
  const lib = koffi.load('libc.so.6');
  const f = (decl: string): never => lib.func(decl) as never;
  libc = {
    socket: f('int socket(int domain, int type, int protocol)'),
    setsockopt: f('int setsockopt(int fd, int level, int name, const void *value, uint32_t len)'),
    send: f('intptr_t send(int fd, const void *buf, size_t len, int flags)'),
    recv: f('intptr_t recv(int fd, _Out_ void *buf, size_t len, int flags)'),
    close: f('int close(int fd)'),
  };
  return libc;
}

/** Error code per sequence number the kernel answered (0 = ACK). */
export type BatchAnswers = ReadonlyMap<number, number>;

/** A blocking nfnetlink socket for batches, in the caller's network namespace. */
export class NfnlBatchSocket {
  private readonly c: Libc;
  private fd: number;
  private sndbuf = 0;
  private readonly rbuf = Buffer.alloc(RECV_BYTES);

  private constructor(c: Libc, fd: number) {
    this.c = c;
    this.fd = fd;
  }

  /** Opens the socket (KernelError with errno when the kernel refuses). */
  static open(): NfnlBatchSocket {
    const c = loadLibc();
    const fd = c.socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
    if (fd < 0) {
      const e = koffi.errno();
      const text = `cannot open a netfilter netlink socket: ${e === EPROTONOSUPPORT ? 'Protocol not supported' : `errno ${e}`}`;
      throw environmentErrorFor(text) ?? new KernelError(text, 'socket(AF_NETLINK)');
    }
    const s = new NfnlBatchSocket(c, fd);
    s.setBuffer(SO_RCVBUFFORCE, SO_RCVBUF, 4 * 1024 * 1024);
    return s;
  }

  /**
   * Sets a buffer size past the system maximum (needs CAP_NET_ADMIN); without
   * the capability the plain option, whose limit the kernel enforces — a
   * write would be refused for want of CAP_NET_ADMIN anyway.
   */
  private setBuffer(force: number, plain: number, bytes: number): void {
    const v = Buffer.alloc(4);
    v.writeInt32LE(bytes);
    if (this.c.setsockopt(this.fd, SOL_SOCKET, force, v, 4) !== 0) this.c.setsockopt(this.fd, SOL_SOCKET, plain, v, 4);
  }

  /**
   * Sends `batch` (complete netlink messages, BATCH_BEGIN … BATCH_END) in one
   * send() and returns the kernel's answers by sequence number. Messages
   * without NLM_F_ACK are only answered when they fail.
   */
  async transact(batch: Buffer): Promise<BatchAnswers> {
    if (this.fd < 0) throw new KernelError('netlink batch socket is closed', 'send');
    if (batch.length + 1024 > this.sndbuf) {
      this.sndbuf = Math.max(batch.length * 2, 256 * 1024);
      this.setBuffer(SO_SNDBUFFORCE, SO_SNDBUF, this.sndbuf);
    }
    const fd = this.fd;
    let sent: number;
    let err = 0;
    for (;;) {
      sent = batch.length >= ASYNC_SEND_BYTES
        ? await new Promise<number>((resolve, reject) => {
          this.c.send.async(fd, batch, batch.length, 0, (e, r) => (e ? reject(e as Error) : resolve(r)));
        })
        : this.c.send(fd, batch, batch.length, 0);
      err = sent < 0 ? koffi.errno() : 0;
      if (err !== EINTR) break;
    }
    if (sent !== batch.length) {
      const text = `netlink send of a ${batch.length}-byte batch failed: ${err === EPERM ? 'Operation not permitted' : `errno ${err}`}`;
      throw environmentErrorFor(text) ?? new KernelError(text, 'send');
    }
    return this.drain();
  }

  private drain(): Map<number, number> {
    const answers = new Map<number, number>();
    for (;;) {
      const n = this.c.recv(this.fd, this.rbuf, this.rbuf.length, MSG_DONTWAIT);
      if (n < 0) {
        const e = koffi.errno();
        if (e === EAGAIN) return answers;
        if (e === EINTR) continue;
        // ENOBUFS: answers were lost, the outcome of the batch is unknown.
        throw new KernelError(`reading the kernel's answers to a batch failed: errno ${e}`, 'recv');
      }
      for (let off = 0; off + NLMSG_HDRLEN <= n;) {
        const len = this.rbuf.readUInt32LE(off);
        if (len < NLMSG_HDRLEN || off + len > n) break;
        if (this.rbuf.readUInt16LE(off + 4) === NLMSG_ERROR && len >= NLMSG_HDRLEN + 4) {
          const code = -this.rbuf.readInt32LE(off + NLMSG_HDRLEN);
          const seq = this.rbuf.readUInt32LE(off + 8);
          if (code !== 0 || !answers.has(seq)) answers.set(seq, code);
        }
        off += (len + 3) & ~3;
      }
    }
  }

  /** Closes the descriptor. */
  close(): void {
    if (this.fd >= 0) this.c.close(this.fd);
    this.fd = -1;
  }
}
