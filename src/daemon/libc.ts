/**
 * The few libc calls the daemon makes through koffi (already loaded for
 * libnftables): socket/sendto/close for sd_notify, malloc_trim after big
 * transactions. Loaded on first use.
 */
import koffi from 'koffi';

/** The libc functions used. */
export interface Libc {
  malloc_trim(pad: number): number;
  socket(domain: number, type: number, protocol: number): number;
  sendto(fd: number, buf: Buffer, len: number, flags: number, addr: Buffer, addrlen: number): number;
  close(fd: number): number;
}

let libc: Libc | undefined;

/** Loads libc.so.6 once. */
export function loadLibc(): Libc {
  if (libc) return libc;
  const lib = koffi.load('libc.so.6');
  libc = {
    malloc_trim: lib.func('int malloc_trim(size_t)') as Libc['malloc_trim'],
    socket: lib.func('int socket(int, int, int)') as Libc['socket'],
    sendto: lib.func('long sendto(int, const void *, size_t, int, const void *, uint32_t)') as Libc['sendto'],
    close: lib.func('int close(int)') as Libc['close'],
  };
  return libc;
}

