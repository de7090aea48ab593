/**
 * Is a fail2ban server running? It is when its control socket answers `ping`.
 *
 * fail2ban's client protocol: a pickled list of words followed by the
 * terminator `<F2B_END_COMMAND>`; the answer is a pickled `(0, 'pong')` with
 * the same terminator. We send `['ping']` as a protocol-2 pickle and accept
 * any answer that ends with the terminator and mentions `pong`.
 */
import { connect } from 'node:net';

/** fail2ban's default control socket. */
export const FAIL2BAN_SOCKET = '/var/run/fail2ban/fail2ban.sock';
/** fail2ban's message terminator (CSPROTO.END). */
export const FAIL2BAN_END = '<F2B_END_COMMAND>';

/** `['ping']` as a pickle (protocol 2): PROTO 2, EMPTY_LIST, BINUNICODE "ping", APPEND, STOP. */
function pingPickle(): Buffer {
  const word = Buffer.from('ping', 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32LE(word.length);
  return Buffer.concat([Buffer.from([0x80, 0x02, 0x5d, 0x58]), len, word, Buffer.from([0x61, 0x2e]), Buffer.from(FAIL2BAN_END)]);
}

/** True when a fail2ban server answers `ping` on `socketPath` within `timeoutMs`. */
export function fail2banRunning(socketPath = FAIL2BAN_SOCKET, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let settled = false;
    const finish = (v: boolean): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sock.destroy();
      resolve(v);
    };
    const sock = connect(socketPath);
    const timer = setTimeout(() => finish(false), timeoutMs);
    sock.on('connect', () => sock.write(pingPickle()));
    sock.on('data', (b: Buffer) => {
      chunks.push(b);
      const text = Buffer.concat(chunks).toString('latin1');
      if (text.includes(FAIL2BAN_END)) finish(text.includes('pong'));
    });
    sock.on('error', () => finish(false));
    sock.on('close', () => finish(false));
  });
}
