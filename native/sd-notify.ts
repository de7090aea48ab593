/**
 * sd_notify(3) without libsystemd: one AF_UNIX datagram to $NOTIFY_SOCKET.
 * Node has no AF_UNIX datagram socket, so the three libc calls (socket,
 * sendto, close) go through koffi, which f2b-fw already loads for its netlink sockets.
 * Chosen over spawning `systemd-notify`: no process per watchdog ping, and the
 * message comes from the daemon's own PID, so the unit needs no NotifyAccess=all.
 */
import { loadLibc } from './libc.js';
import { EnvironmentError } from '../src/core/errors.js';

const AF_UNIX = 1;
const SOCK_DGRAM = 2;
const SOCK_CLOEXEC = 0o2000000;
const MSG_NOSIGNAL = 0x4000;
const SUN_PATH_MAX = 108;

/** Builds a `struct sockaddr_un` for `path` (`@name` = abstract namespace). */
function sockaddrUn(path: string): Buffer {
  const name = Buffer.from(path.startsWith('@') ? `\0${path.slice(1)}` : path);
  if (name.length >= SUN_PATH_MAX) throw new EnvironmentError(`NOTIFY_SOCKET path too long: ${path}`);
  const addr = Buffer.alloc(2 + name.length + (path.startsWith('@') ? 0 : 1));
  addr.writeUInt16LE(AF_UNIX, 0);
  name.copy(addr, 2);
  return addr;
}

/** Sends state lines to systemd; does nothing when not started by systemd with Type=notify. */
export interface Notifier {
  /** e.g. `READY=1`, `WATCHDOG=1`, `STATUS=…`, `STOPPING=1`, `RELOADING=1`. */
  send(state: string): void;
  /** Watchdog period from $WATCHDOG_USEC halved (ms), or null when no watchdog is armed for us. */
  readonly watchdogMs: number | null;
}

/** The notifier for this process's environment (pass `process.env`). */
export function createNotifier(env: NodeJS.ProcessEnv): Notifier {
  const path = env.NOTIFY_SOCKET;
  const usec = Number(env.WATCHDOG_USEC ?? 0);
  const forUs = env.WATCHDOG_PID === undefined || Number(env.WATCHDOG_PID) === process.pid;
  const watchdogMs = usec > 0 && forUs ? Math.max(1, Math.floor(usec / 2000)) : null;
  if (!path) return { send: () => undefined, watchdogMs };
  const addr = sockaddrUn(path);
  return {
    watchdogMs,
    send(state: string): void {
      const c = loadLibc();
      const fd = c.socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
      if (fd < 0) throw new EnvironmentError('sd_notify: socket(AF_UNIX, SOCK_DGRAM) failed');
      try {
        const msg = Buffer.from(state);
        if (c.sendto(fd, msg, msg.length, MSG_NOSIGNAL, addr, addr.length) < 0) {
          throw new EnvironmentError(`sd_notify: sendto ${path} failed (${state.split('\n')[0]})`);
        }
      } finally {
        c.close(fd);
      }
    },
  };
}
