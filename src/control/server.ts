/**
 * The daemon's end of the control socket: a unix socket, mode 0600 owned by
 * the daemon's user (root), or 0660 with a configured group. Each connection
 * sends request lines and gets response lines in the same order; requests are
 * capped in size, idle connections are closed, and the number of connections
 * served at once is bounded (with a reserve for root; a client over the cap is
 * answered `busy`). A client that sends requests without reading the answers
 * is not buffered for: the next request waits until its answer drained, and a
 * client that does not drain within the idle time is disconnected. Requests
 * yield to the event loop in between, so bans never wait behind a client.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { chmodSync, chownSync, lstatSync, mkdirSync, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import { DEFAULTS, LIMITS } from '../core/defaults.js';
import { EnvironmentError, F2bError } from '../core/errors.js';
import { resolveGroup } from './group.js';
import { LineSplitter } from '../sources/line-splitter.js';
import {
  PROTOCOL_ERRORS,
  ProtocolError,
  encodeError,
  encodeResult,
  parseRequest,
  type ControlRequest,
} from './protocol.js';

/** Runs one request and resolves to its result (anything JSON-serialisable). */
export type ControlHandler = (request: ControlRequest) => Promise<unknown>;

/** How long `close()` lets a client read its last answer before cutting the connection (ms). */
const CLOSE_GRACE_MS = 500;

/** The longest unix socket path the kernel accepts (sun_path is 108 bytes with the NUL). */
const MAX_SOCKET_PATH = 107;

/** How the server is set up; only `path` and `handler` are required. */
export interface ControlServerOptions {
  readonly path: string;
  readonly handler: ControlHandler;
  /** Group allowed to use the socket (name or gid); mode becomes 0660. */
  readonly group?: string | number;
  /** Close a connection idle for this long (ms). */
  readonly idleMs?: number;
  /** Longest request line (bytes). */
  readonly requestBytes?: number;
  /** Connections served at once for ordinary clients. */
  readonly maxConnections?: number;
  /** Extra connections for root beyond maxConnections. */
  readonly rootReserve?: number;
  /** The uid of a connection's peer (null when unknown: counted as an ordinary client). */
  readonly peerUid?: (socket: Socket) => number | null;
  /** Told about handler failures that were not F2bErrors (bugs), for the log. */
  readonly onError?: (err: unknown, request: ControlRequest) => void;
}

/** A listening control socket; `close()` stops it and removes the socket file. */
export class ControlServer {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly options: ControlServerOptions;
  private inode = 0;

  private constructor(options: ControlServerOptions) {
    this.options = options;
    this.server = createServer((socket) => this.admit(socket));
  }

  /** Serves the connection, or answers `busy` and closes it when its kind of slot is full. */
  private admit(socket: Socket): void {
    const max = this.options.maxConnections ?? LIMITS.controlConnections;
    const reserve = this.options.rootReserve ?? LIMITS.controlRootReserve;
    const root = this.options.peerUid?.(socket) === 0;
    const open = this.sockets.size;
    if (open >= max + (root ? reserve : 0)) {
      socket.on('error', () => socket.destroy());
      const message = `busy: ${open} control connections are open, the limit${root ? ' including the reserve for root' : ` (root has ${reserve} more)`}; try again later`;
      socket.end(encodeError(0, PROTOCOL_ERRORS.busy, message));
      // Read and drop what the client sends, so its hang-up is seen and the socket closes.
      socket.resume();
      setTimeout(() => socket.destroy(), CLOSE_GRACE_MS).unref();
      return;
    }
    this.serve(socket);
  }

  /** Creates the socket (replacing a stale one), sets its owner and mode, and starts serving. */
  static async listen(options: ControlServerOptions): Promise<ControlServer> {
    const { path } = options;
    if (Buffer.byteLength(path) > MAX_SOCKET_PATH) {
      throw new EnvironmentError(`control socket path ${path} is longer than ${MAX_SOCKET_PATH} bytes, the limit for unix sockets; choose a shorter --socket`);
    }
    const gid = options.group === undefined ? undefined : resolveGroup(options.group);
    mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
    await removeStale(path);
    const cs = new ControlServer(options);
    const previous = process.umask(0o177);
    try {
      await new Promise<void>((resolve, reject) => {
        cs.server.once('error', reject);
        cs.server.listen(path, () => {
          cs.server.off('error', reject);
          resolve();
        });
      });
    } catch (e) {
      throw new EnvironmentError(`cannot listen on control socket ${path}: ${(e as Error).message}`, { cause: e });
    } finally {
      process.umask(previous);
    }
    if (gid !== undefined) chownSync(path, process.getuid?.() ?? 0, gid);
    chmodSync(path, gid === undefined ? 0o600 : 0o660);
    cs.inode = lstatSync(path).ino;
    return cs;
  }

  /** The socket path. */
  get path(): string {
    return this.options.path;
  }

  /**
   * Stops listening, ends every connection (answers already written still
   * reach the client; a client that does not hang up is cut off after
   * CLOSE_GRACE_MS) and removes the socket file if it is still ours.
   */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const s of this.sockets) {
      s.end();
      setTimeout(() => s.destroy(), CLOSE_GRACE_MS).unref();
    }
    await closed;
    try {
      if (lstatSync(this.options.path).ino === this.inode) unlinkSync(this.options.path);
    } catch {
      /* already removed */
    }
  }

  private serve(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    const idleMs = this.options.idleMs ?? DEFAULTS.controlIdleMs;
    socket.on('timeout', () => socket.destroy());
    socket.setTimeout(idleMs);
    const limit = this.options.requestBytes ?? LIMITS.controlRequestBytes;
    let received: string[] = [];
    const splitter = new LineSplitter(limit, (line) => received.push(line), 'refuse');
    let queue = Promise.resolve();
    socket.on('data', (chunk: Buffer) => {
      try {
        splitter.feed(chunk);
      } catch {
        // LineTooLong: the only thing a refusing splitter throws.
        socket.end(encodeError(0, PROTOCOL_ERRORS.tooLarge, `request longer than ${limit} bytes; split it into several requests`));
        socket.pause();
        return;
      }
      if (received.length === 0) return;
      const lines = received;
      received = [];
      // While the daemon works on a request (a reload may take a while) the client is not idle.
      socket.pause();
      socket.setTimeout(0);
      queue = queue
        .then(async () => {
          for (const line of lines) {
            if (line.trim() === '') continue;
            const reply = await this.answer(line);
            if (!socket.writable) return;
            if (!socket.write(reply) && !(await drained(socket, idleMs))) {
              socket.destroy();
              return;
            }
            // Let ban batches, signals and other clients run between two requests.
            await new Promise((r) => setImmediate(r));
          }
        })
        .finally(() => {
          if (socket.destroyed) return;
          socket.setTimeout(idleMs);
          socket.resume();
        });
    });
  }

  private async answer(line: string): Promise<string> {
    let request: ControlRequest;
    try {
      request = parseRequest(line);
    } catch (e) {
      const pe = e as ProtocolError;
      return encodeError(pe.id, pe.code, pe.message);
    }
    try {
      return encodeResult(request.id, await this.options.handler(request));
    } catch (e) {
      if (e instanceof F2bError) return encodeError(request.id, e.code, e.message);
      this.options.onError?.(e, request);
      return encodeError(request.id, PROTOCOL_ERRORS.internal, `internal error while running "${request.cmd}": ${(e as Error)?.message ?? String(e)}`);
    }
  }
}

/** Resolves true once `socket`'s written data has gone to the kernel, false after `ms` or when it closes. */
function drained(socket: Socket, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      socket.off('drain', onDrain);
      socket.off('close', onClose);
      resolve(ok);
    };
    const onDrain = (): void => done(true);
    const onClose = (): void => done(false);
    const timer = setTimeout(() => done(false), ms);
    socket.on('drain', onDrain);
    socket.on('close', onClose);
  });
}

/**
 * Removes a socket file left by a daemon that is gone. Refuses if another
 * daemon still answers on it, or if the path is not a socket at all.
 */
async function removeStale(path: string): Promise<void> {
  let isSocket: boolean;
  try {
    isSocket = lstatSync(path).isSocket();
  } catch {
    return;
  }
  if (!isSocket) throw new EnvironmentError(`control socket path ${path} exists and is not a socket; refusing to replace it`);
  const alive = await new Promise<boolean>((resolve) => {
    const probe = createConnection(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
  if (alive) throw new EnvironmentError(`another f2b-fw daemon already answers on control socket ${path}; stop it first or choose another --socket`);
  unlinkSync(path);
}
