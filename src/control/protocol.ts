/**
 * The control protocol: newline-delimited JSON over a unix socket.
 *
 * Request:  `{"v":1,"id":7,"cmd":"status","args":{"jail":"sshd"}}`
 * Response: `{"v":1,"id":7,"ok":true,"result":…}` or
 *           `{"v":1,"id":7,"ok":false,"error":{"code":"not-found","message":"…"}}`
 *
 * One request per line, answered in order on the same connection. `v` is the
 * protocol version; a daemon refuses a version it does not speak, naming both.
 */
import { F2bError, truncate, type ErrorCode } from '../core/errors.js';

/** The protocol version this build speaks. */
export const PROTOCOL_VERSION = 1;

/** Arguments of a request: a JSON object. */
export type RequestArgs = Readonly<Record<string, unknown>>;

/** One request as sent by a client. */
export interface ControlRequest {
  readonly v: number;
  readonly id: number;
  readonly cmd: string;
  readonly args: RequestArgs;
}

/** The error part of a failed response; `code` is an F2bError code or a protocol code below. */
export interface ControlErrorBody {
  readonly code: string;
  readonly message: string;
}

/** One response as sent by the daemon. */
export type ControlResponse =
  | { readonly v: number; readonly id: number; readonly ok: true; readonly result: unknown }
  | { readonly v: number; readonly id: number; readonly ok: false; readonly error: ControlErrorBody };

/** Error codes the protocol layer itself produces (F2bError codes pass through unchanged). */
export const PROTOCOL_ERRORS = {
  /** Not JSON, not an object, or a field of the wrong type. */
  badRequest: 'bad-request',
  /** The client speaks another protocol version. */
  version: 'version',
  /** The request line exceeds LIMITS.controlRequestBytes. */
  tooLarge: 'too-large',
  /** No such command. */
  unknownCommand: 'unknown-command',
  /** The daemon failed in a way it did not foresee (the message says how). */
  internal: 'internal',
} as const;

/** A request the daemon refuses before running it; carries the id when one could be read. */
export class ProtocolError extends F2bError {
  readonly id: number;
  constructor(code: ErrorCode, message: string, id = 0) {
    super(code, message);
    this.id = id;
  }
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** Parses and checks one request line; throws ProtocolError naming what is wrong. */
export function parseRequest(line: string): ControlRequest {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    throw new ProtocolError(PROTOCOL_ERRORS.badRequest, `request is not JSON: ${JSON.stringify(truncate(line, 200))}`);
  }
  if (!isObject(raw)) throw new ProtocolError(PROTOCOL_ERRORS.badRequest, 'request is not a JSON object');
  const id = typeof raw.id === 'number' && Number.isSafeInteger(raw.id) ? raw.id : 0;
  if (raw.v !== PROTOCOL_VERSION) {
    throw new ProtocolError(
      PROTOCOL_ERRORS.version,
      `protocol version ${JSON.stringify(raw.v)} is not supported (this daemon speaks version ${PROTOCOL_VERSION}); use a client of the same f2b-fw version`,
      id,
    );
  }
  if (typeof raw.id !== 'number' || !Number.isSafeInteger(raw.id)) {
    throw new ProtocolError(PROTOCOL_ERRORS.badRequest, `request "id" must be an integer, got ${JSON.stringify(raw.id)}`);
  }
  if (typeof raw.cmd !== 'string' || raw.cmd === '') {
    throw new ProtocolError(PROTOCOL_ERRORS.badRequest, `request "cmd" must be a non-empty string, got ${JSON.stringify(raw.cmd)}`, id);
  }
  const args = raw.args ?? {};
  if (!isObject(args)) throw new ProtocolError(PROTOCOL_ERRORS.badRequest, `request "args" must be an object`, id);
  return { v: PROTOCOL_VERSION, id, cmd: raw.cmd, args };
}

/** Parses one response line as the client receives it; throws ProtocolError if it is malformed. */
export function parseResponse(line: string): ControlResponse {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    throw new ProtocolError(PROTOCOL_ERRORS.badRequest, `daemon answered with something that is not JSON: ${JSON.stringify(truncate(line, 200))}`);
  }
  if (!isObject(raw) || typeof raw.id !== 'number' || typeof raw.ok !== 'boolean') {
    throw new ProtocolError(PROTOCOL_ERRORS.badRequest, `daemon answered with a malformed response: ${truncate(line, 200)}`);
  }
  if (raw.ok) return { v: Number(raw.v), id: raw.id, ok: true, result: raw.result };
  const error = isObject(raw.error) ? raw.error : {};
  return {
    v: Number(raw.v),
    id: raw.id,
    ok: false,
    error: {
      code: typeof error.code === 'string' ? error.code : PROTOCOL_ERRORS.internal,
      message: typeof error.message === 'string' ? error.message : 'the daemon reported an error without a message',
    },
  };
}

/** Serialises a request as one line (with the newline). */
export function encodeRequest(id: number, cmd: string, args: RequestArgs = {}): string {
  const req: ControlRequest = { v: PROTOCOL_VERSION, id, cmd, args };
  return `${JSON.stringify(req)}\n`;
}

/** Serialises a successful response as one line. */
export function encodeResult(id: number, result: unknown): string {
  return `${JSON.stringify({ v: PROTOCOL_VERSION, id, ok: true, result: result ?? null })}\n`;
}

/** Serialises a failed response as one line. */
export function encodeError(id: number, code: string, message: string): string {
  return `${JSON.stringify({ v: PROTOCOL_VERSION, id, ok: false, error: { code, message } })}\n`;
}
