/**
 * Who is on the other end of a unix control connection: SO_PEERCRED through
 * libc (koffi), so the server can keep a slot for root when ordinary clients
 * fill the connection cap. Node does not expose peer credentials itself.
 */
import { loadKoffi } from '../../native/koffi.js';
import type { Socket } from 'node:net';

const SOL_SOCKET = 1;
const SO_PEERCRED = 17;

type GetSockOpt = (fd: number, level: number, name: number, value: Buffer, len: Buffer) => number;
let getsockopt: GetSockOpt | undefined;

/** The uid of the peer of a unix socket connection, or null when it cannot be read. */
export function peerUid(socket: Socket): number | null {
  const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) return null;
  try {
    getsockopt ??= loadKoffi().load('libc.so.6').func('int getsockopt(int, int, int, void *, uint32_t *)') as GetSockOpt;
    const cred = Buffer.alloc(12);
    const len = Buffer.alloc(4);
    len.writeUInt32LE(12);
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, cred, len) !== 0) return null;
    // struct ucred { pid_t pid; uid_t uid; gid_t gid; }
    return cred.readUInt32LE(4);
  } catch {
    return null;
  }
}
