/**
 * The client's end of the control socket. Connection failures become
 * F2bErrors whose codes the CLI maps to exit codes: `not-running` (no daemon
 * on that path), `permission` (the socket is root's), `timeout`.
 */
import { createConnection, type Socket } from 'node:net';
import { DEFAULTS, LIMITS } from '../core/defaults.js';
import { F2bError, errorCode } from '../core/errors.js';
import { LineSplitter } from '../sources/line-splitter.js';
import { encodeRequest, parseResponse, type ControlResponse, type RequestArgs } from './protocol.js';

/** Client settings; all optional. */
export interface ClientOptions {
  /** How long to wait for the connection and for each answer (ms). */
  readonly timeoutMs?: number;
}

function connectError(path: string, err: NodeJS.ErrnoException): F2bError {
  switch (err.code) {
    case 'ENOENT':
      return new F2bError('not-running', `no f2b-fw daemon is running: control socket ${path} does not exist (start it with \`systemctl start f2b-fw\` or \`f2b-fw run\`, or name another socket with --socket)`);
    case 'ECONNREFUSED':
      return new F2bError('not-running', `no f2b-fw daemon answers on control socket ${path} (the file is left from a daemon that is no longer running)`);
    case 'EACCES':
    case 'EPERM': {
      const uid = process.getuid?.();
      return new F2bError('permission', `permission denied on control socket ${path}${uid === undefined ? '' : ` for uid ${uid}`}: only root (or the group set by socketgroup in f2b-fw.conf) may use it; run the command as root, e.g. with sudo`);
    }
    case 'ENOTDIR':
      return new F2bError('not-running', `no f2b-fw daemon is running: ${path} is not a usable socket path (${err.message})`);
    default:
      return new F2bError('not-running', `cannot connect to control socket ${path}: ${err.message}`);
  }
}

/** One open connection to the daemon; requests are answered in order. */
export class ControlClient {
  private readonly socket: Socket;
  private readonly path: string;
  private readonly timeoutMs: number;
  private readonly waiting = new Map<number, { resolve(r: ControlResponse): void; reject(e: Error): void }>();
  private nextId = 1;
  private closedError: F2bError | undefined;

  private constructor(socket: Socket, path: string, timeoutMs: number) {
    this.socket = socket;
    this.path = path;
    this.timeoutMs = timeoutMs;
    let received: string[] = [];
    const splitter = new LineSplitter(LIMITS.controlResponseBytes, (line) => received.push(line), 'refuse');
    socket.on('data', (chunk: Buffer) => {
      try {
        splitter.feed(chunk);
      } catch (e) {
        this.fail(new F2bError('protocol', `the daemon's answer on ${path} is larger than ${LIMITS.controlResponseBytes} bytes: ${(e as Error).message}`));
        return;
      }
      const lines = received;
      received = [];
      for (const line of lines) this.receive(line);
    });
    socket.on('error', (e) => this.fail(new F2bError('not-running', `connection to control socket ${path} failed: ${e.message}`)));
    socket.on('close', () => this.fail(new F2bError('not-running', `the daemon on ${path} closed the connection before answering`)));
  }

  /** Connects to the daemon's socket; rejects with a `not-running` or `permission` F2bError. */
  static connect(path: string, options: ClientOptions = {}): Promise<ControlClient> {
    const timeoutMs = options.timeoutMs ?? DEFAULTS.controlTimeoutMs;
    return new Promise((resolve, reject) => {
      const socket = createConnection(path);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new F2bError('timeout', `no answer from control socket ${path} within ${timeoutMs} ms while connecting`));
      }, timeoutMs);
      socket.once('error', (e: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(connectError(path, e));
      });
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(new ControlClient(socket, path, timeoutMs));
      });
    });
  }

  /** Sends one request; resolves to its result or rejects with the daemon's error as an F2bError. */
  async request(cmd: string, args: RequestArgs = {}): Promise<unknown> {
    if (this.closedError) throw this.closedError;
    const id = this.nextId++;
    const response = await new Promise<ControlResponse>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new F2bError('timeout', `the daemon on ${this.path} did not answer "${cmd}" within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      this.waiting.set(id, {
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.socket.write(encodeRequest(id, cmd, args));
    });
    if (response.ok) return response.result;
    throw new F2bError(errorCode(response.error.code), response.error.message);
  }

  /** Closes the connection. */
  close(): void {
    this.closedError ??= new F2bError('not-running', 'connection closed');
    this.socket.destroy();
  }

  private receive(line: string): void {
    let response: ControlResponse;
    try {
      response = parseResponse(line);
    } catch (e) {
      this.fail(e as F2bError);
      return;
    }
    // An answer the daemon could not tie to a request (id 0: unreadable or oversized line) goes to the oldest one.
    const id = this.waiting.has(response.id) ? response.id : this.waiting.keys().next().value;
    const waiter = id === undefined ? undefined : this.waiting.get(id);
    if (id === undefined || !waiter) return;
    this.waiting.delete(id);
    waiter.resolve(response);
  }

  private fail(err: F2bError): void {
    this.closedError ??= err;
    for (const w of this.waiting.values()) w.reject(err);
    this.waiting.clear();
    this.socket.destroy();
  }
}

/** Connects, sends one request, closes: what every client sub-command does. */
export async function callDaemon(path: string, cmd: string, args: RequestArgs = {}, options: ClientOptions = {}): Promise<unknown> {
  const client = await ControlClient.connect(path, options);
  try {
    return await client.request(cmd, args);
  } finally {
    client.close();
  }
}
