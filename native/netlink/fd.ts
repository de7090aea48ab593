/**
 * A raw AF_NETLINK socket through libc (koffi): the one place f2b-fw opens,
 * sizes, joins groups on, writes and reads netlink sockets. NetlinkSocket
 * (socket.ts: requests, dumps, multicast events) and NfnlBatchSocket
 * (batch-socket.ts: nfnetlink transactions) build on it.
 *
 * Why libc and not a socket package: the kernel answers netlink requests
 * synchronously inside sendmsg() (and produces each further dump chunk inside
 * recvmsg()), so a send followed by non-blocking receives until the expected
 * answer needs no poll watcher at all; multicast events are drained the same
 * way on a timer. Every error is an errno we handle — an overrun receive
 * buffer (ENOBUFS) is reported, never thrown out of a native callback.
 */
import { loadLibc, ERRNO, type Libc } from '../libc.js';
import { KernelError } from '../../src/core/errors.js';
import { environmentErrorForErrno } from '../env.js';

const AF_NETLINK = 16;
const SOCK_RAW = 3;
const SOCK_CLOEXEC = 0o2000000;
const SOL_SOCKET = 1;
const SO_SNDBUF = 7;
const SO_RCVBUF = 8;
const SO_SNDBUFFORCE = 32;
const SO_RCVBUFFORCE = 33;
const SOL_NETLINK = 270;
const NETLINK_ADD_MEMBERSHIP = 1;
const NETLINK_DROP_MEMBERSHIP = 2;
const MSG_DONTWAIT = 0x40;
const MSG_TRUNC = 0x20;
/** Sends at least this big run on a worker thread (the kernel works inside the call). */
const ASYNC_SEND_BYTES = 64 * 1024;

/** Text for the errno values users meet. */
function errnoText(e: number): string {
  switch (e) {
    case ERRNO.EPERM: return 'Operation not permitted';
    case ERRNO.EPROTONOSUPPORT: return 'Protocol not supported';
    case ERRNO.EAFNOSUPPORT: return 'Address family not supported';
    case ERRNO.ENOBUFS: return 'No buffer space available';
    default: return `errno ${e}`;
  }
}

/** A kernel error from a socket call, with the call (operation) and errno; `what` names the object. */
export class SocketError extends KernelError {
  constructor(readonly call: string, readonly errno: number, what: string) {
    super(`${what}: ${errnoText(errno)}`, call);
  }
}

/** A failed socket call: an EnvironmentError where the errno means missing privileges or kernel support, else a SocketError. */
export function socketError(call: string, errno: number, what: string): Error {
  return environmentErrorForErrno(errno, `${call}: ${errnoText(errno)}`) ?? new SocketError(call, errno, what);
}

/** Outcome of one non-blocking receive. */
export type RecvResult = { readonly bytes: number } | { readonly errno: number };

/** An open AF_NETLINK socket in the caller's network namespace. */
export class NetlinkFd {
  private sndbuf = 0;

  private constructor(private readonly c: Libc, private fd: number) {}

  /** Opens and binds (kernel-chosen port id) a socket for `protocol`, receive buffer `recvBytes`. */
  static open(protocol: number, recvBytes: number): NetlinkFd {
    const c = loadLibc();
    const fd = c.socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, protocol);
    if (fd < 0) throw socketError('socket(AF_NETLINK)', c.errno(), `cannot open a netlink socket (protocol ${protocol})`);
    const s = new NetlinkFd(c, fd);
    const addr = Buffer.alloc(12); // sockaddr_nl: family, pad, pid 0 (kernel assigns), groups 0
    addr.writeUInt16LE(AF_NETLINK, 0);
    if (c.bind(fd, addr, addr.length) !== 0) {
      const e = c.errno();
      s.close();
      throw socketError('bind(AF_NETLINK)', e, 'cannot bind a netlink socket');
    }
    s.setBuffer(SO_RCVBUFFORCE, SO_RCVBUF, recvBytes);
    return s;
  }

  /** True until close(). */
  get open(): boolean {
    return this.fd >= 0;
  }

  /**
   * Sets a buffer size past the system maximum (needs CAP_NET_ADMIN); without
   * the capability the plain option, whose limit the kernel enforces.
   */
  private setBuffer(force: number, plain: number, bytes: number): void {
    const v = Buffer.alloc(4);
    v.writeInt32LE(bytes);
    if (this.c.setsockopt(this.fd, SOL_SOCKET, force, v, 4) !== 0) this.c.setsockopt(this.fd, SOL_SOCKET, plain, v, 4);
  }

  /** Joins (`true`) or leaves a multicast group. */
  membership(group: number, join: boolean): void {
    const v = Buffer.alloc(4);
    v.writeUInt32LE(group);
    if (this.c.setsockopt(this.fd, SOL_NETLINK, join ? NETLINK_ADD_MEMBERSHIP : NETLINK_DROP_MEMBERSHIP, v, 4) !== 0) {
      throw socketError('setsockopt(NETLINK_ADD_MEMBERSHIP)', this.c.errno(), `cannot ${join ? 'join' : 'leave'} netlink group ${group}`);
    }
  }

  /**
   * Sends `buf` as one datagram (the send buffer grows to fit, as a batch must
   * arrive whole); big sends run on a worker thread. Throws with the errno.
   */
  async send(buf: Buffer): Promise<void> {
    if (this.fd < 0) throw new KernelError('netlink socket is closed', 'send');
    if (buf.length + 1024 > this.sndbuf) {
      this.sndbuf = Math.max(buf.length * 2, 256 * 1024);
      this.setBuffer(SO_SNDBUFFORCE, SO_SNDBUF, this.sndbuf);
    }
    const fd = this.fd;
    for (;;) {
      let sent = buf.length >= ASYNC_SEND_BYTES
        ? await new Promise<number>((resolve, reject) => {
          this.c.send.async(fd, buf, buf.length, 0, (e, r) => (e ? reject(e as Error) : resolve(r)));
        })
        : -2;
      // errno lives on the thread that made the call: a send refused on the worker is
      // repeated here (a refused netlink send reached no handler) to learn why.
      if (sent < 0) sent = this.c.send(fd, buf, buf.length, 0);
      if (sent === buf.length) return;
      const errno = sent < 0 ? this.c.errno() : 0;
      if (errno === ERRNO.EINTR) continue;
      throw socketError('send', errno, `netlink send of ${buf.length} bytes failed`);
    }
  }

  /** One non-blocking receive into `buf`: bytes read, or the errno (EAGAIN: nothing queued). */
  recv(buf: Buffer): RecvResult {
    if (this.fd < 0) return { errno: ERRNO.EAGAIN };
    for (;;) {
      const n = this.c.recv(this.fd, buf, buf.length, MSG_DONTWAIT | MSG_TRUNC);
      if (n >= 0) {
        if (n > buf.length) throw new KernelError(`netlink message of ${n} bytes exceeds the ${buf.length}-byte receive buffer`, 'recv');
        return { bytes: n };
      }
      const e = this.c.errno();
      if (e !== ERRNO.EINTR) return { errno: e };
    }
  }

  /** Closes the descriptor (idempotent). */
  close(): void {
    if (this.fd >= 0) this.c.close(this.fd);
    this.fd = -1;
  }
}
