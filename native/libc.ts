/**
 * The one libc loader of f2b-fw (through koffi):
 * sockets for netlink (native/netlink/) and sd_notify (native/sd-notify.ts),
 * malloc_trim after big transactions. Loaded on first use; `errno()` reads
 * the errno of the last call made through koffi on this thread.
 */
import { loadKoffi } from './koffi.js';

/** A libc function: callable synchronously, or on a worker thread with a callback. */
export interface NativeFn<A extends unknown[], R> {
  (...args: A): R;
  async(...args: [...A, (err: unknown, result: R) => void]): void;
}

/** The libc functions used. */
export interface Libc {
  readonly socket: NativeFn<[number, number, number], number>;
  readonly bind: NativeFn<[number, Buffer, number], number>;
  readonly setsockopt: NativeFn<[number, number, number, Buffer, number], number>;
  readonly send: NativeFn<[number, Buffer, number, number], number>;
  readonly sendto: NativeFn<[number, Buffer, number, number, Buffer, number], number>;
  readonly recv: NativeFn<[number, Buffer, number, number], number>;
  readonly close: NativeFn<[number], number>;
  readonly malloc_trim: NativeFn<[number], number>;
  /** errno of the last failed call on this thread. */
  errno(): number;
}

let libc: Libc | undefined;

/** Loads libc.so.6 once. */
export function loadLibc(): Libc {
  if (libc) return libc;
  const koffi = loadKoffi();
  const lib = koffi.load('libc.so.6');
  const f = (decl: string): never => lib.func(decl) as never;
  libc = {
    socket: f('int socket(int domain, int type, int protocol)'),
    bind: f('int bind(int fd, const void *addr, uint32_t len)'),
    setsockopt: f('int setsockopt(int fd, int level, int name, const void *value, uint32_t len)'),
    send: f('intptr_t send(int fd, const void *buf, size_t len, int flags)'),
    sendto: f('intptr_t sendto(int fd, const void *buf, size_t len, int flags, const void *addr, uint32_t addrlen)'),
    recv: f('intptr_t recv(int fd, _Out_ void *buf, size_t len, int flags)'),
    close: f('int close(int fd)'),
    malloc_trim: f('int malloc_trim(size_t pad)'),
    errno: () => koffi.errno(),
  };
  return libc;
}

/** errno values the socket code tells apart (asm-generic/errno-base.h, errno.h). */
export const ERRNO = {
  EPERM: 1, EINTR: 4, EAGAIN: 11, ENOBUFS: 105, EPROTONOSUPPORT: 93, EAFNOSUPPORT: 97,
} as const;
