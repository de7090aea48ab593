/**
 * A NETLINK_NETFILTER socket for nfnetlink *batches* (transactions).
 *
 * Why not NetlinkSocket (socket.ts): a batch must reach the kernel in ONE
 * sendmsg() — the kernel commits or aborts per received buffer — and its
 * answers are wanted by sequence number, whatever order they come in.
 * 100,000 elements make a batch of megabytes: NetlinkFd grows the send buffer
 * past wmem_max with SO_SNDBUFFORCE (CAP_NET_ADMIN, which writing nftables
 * needs anyway).
 *
 * The kernel processes a batch synchronously inside sendmsg(), so when send()
 * returns every answer (errors, requested ACKs) is already queued on the
 * socket: they are read without blocking until the queue is empty. Large
 * sends run on a worker thread so the event loop keeps serving.
 */
import { KernelError } from '../../src/core/errors.js';
import { ERRNO } from '../libc.js';
import { NetlinkFd, socketError } from './fd.js';
import { NETLINK_NETFILTER, NLMSG_ERROR, NLMSG_HDRLEN } from './socket.js';

const RECV_BYTES = 256 * 1024;

/** Error code per sequence number the kernel answered (0 = ACK). */
export type BatchAnswers = ReadonlyMap<number, number>;

/** An nfnetlink socket for batches, in the caller's network namespace. */
export class NfnlBatchSocket {
  private readonly rbuf = Buffer.alloc(RECV_BYTES);

  private constructor(private readonly fd: NetlinkFd) {}

  /** Opens the socket (EnvironmentError or KernelError with the errno when the kernel refuses). */
  static open(): NfnlBatchSocket {
    return new NfnlBatchSocket(NetlinkFd.open(NETLINK_NETFILTER, 4 * 1024 * 1024));
  }

  /**
   * Sends `batch` (complete netlink messages, BATCH_BEGIN … BATCH_END) in one
   * send() and returns the kernel's answers by sequence number. Messages
   * without NLM_F_ACK are only answered when they fail.
   */
  async transact(batch: Buffer): Promise<BatchAnswers> {
    if (!this.fd.open) throw new KernelError('netlink batch socket is closed', 'send');
    await this.fd.send(batch);
    return this.drain();
  }

  private drain(): Map<number, number> {
    const answers = new Map<number, number>();
    for (;;) {
      const r = this.fd.recv(this.rbuf);
      if (!('bytes' in r)) {
        if (r.errno === ERRNO.EAGAIN) return answers;
        // ENOBUFS: answers were lost, the outcome of the batch is unknown.
        throw socketError('recv', r.errno, "reading the kernel's answers to a batch failed");
      }
      const n = r.bytes;
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
    this.fd.close();
  }
}
