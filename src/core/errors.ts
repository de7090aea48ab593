/**
 * Typed errors. Every error names the object that failed so that a message
 * alone tells the admin what to fix.
 */

/**
 * The closed set of error codes, each with the CLI exit code it maps to
 * (README: 0 ok, 1 failure reported, 2 usage, 3 configuration, 4 kernel
 * refused, 5 environment, 6 no daemon, 7 permission denied). The control
 * protocol carries these codes on the wire.
 */
export const ERROR_EXIT = {
  usage: 2,
  config: 3,
  kernel: 4,
  environment: 5,
  'not-running': 6,
  permission: 7,
  // Requests the daemon refuses, and failures reported (exit 1).
  'bad-address': 1, 'bad-key': 1, 'bad-value': 1, 'unknown-jail': 1, 'refused-address': 1,
  'bad-request': 1, version: 1, 'too-large': 1, 'unknown-command': 1, internal: 1, busy: 1,
  protocol: 1, timeout: 1, stopping: 1, source: 1, lab: 1,
} as const;

/** One of the codes in ERROR_EXIT. */
export type ErrorCode = keyof typeof ERROR_EXIT;

/** A code read from elsewhere (a daemon's answer): itself when known, else `internal`. */
export function errorCode(text: string): ErrorCode {
  return Object.prototype.hasOwnProperty.call(ERROR_EXIT, text) ? text as ErrorCode : 'internal';
}

/** Base of every error f2b-fw raises on purpose; `code` is stable for scripts. */
export class F2bError extends Error {
  /** One of the closed set ERROR_EXIT. */
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** Where a configuration value came from. */
export interface ConfigPosition {
  readonly file: string;
  readonly line?: number;
  readonly section?: string;
  readonly key?: string;
  readonly value?: string;
}

/** Formats a position as `file:line [section] key = value`. */
export function formatPosition(p: ConfigPosition): string {
  let s = p.file;
  if (p.line !== undefined) s += `:${p.line}`;
  if (p.section !== undefined) s += ` [${p.section}]`;
  if (p.key !== undefined) s += ` ${p.key}`;
  if (p.value !== undefined) s += ` = ${JSON.stringify(p.value)}`;
  return s;
}

/** Bad configuration: refused before anything is started or the kernel is touched. */
export class ConfigError extends F2bError {
  readonly position: ConfigPosition;
  constructor(position: ConfigPosition, problem: string) {
    super('config', `${formatPosition(position)}: ${problem}`);
    this.position = position;
  }
}

/** What a kernel error is about, where the code that raised it knows. */
export interface KernelErrorDetail {
  readonly cause?: unknown;
  /** The operation: `add element`, `reconcile`, `ipset add`, … */
  readonly operation?: string;
  /** The object: a set, chain or element (`sshd-v4 203.0.113.9`). */
  readonly object?: string;
  /** The kernel's errno (positive, e.g. 1 for EPERM), when it answered with one. */
  readonly errno?: number;
}

/** The kernel (through netlink, ipset or iptables) refused a change. */
export class KernelError extends F2bError {
  /** The command or batch that failed, as sent. */
  readonly command: string;
  readonly operation: string | undefined;
  readonly object: string | undefined;
  readonly errno: number | undefined;
  constructor(message: string, command: string, detail: KernelErrorDetail = {}) {
    super('kernel', `${message}\n  while running: ${truncate(command, 2000)}`, detail.cause === undefined ? undefined : { cause: detail.cause });
    this.command = command;
    this.operation = detail.operation;
    this.object = detail.object;
    this.errno = detail.errno;
  }
}

/** The machine lacks something f2b-fw needs (a library, a capability, a kernel feature). */
export class EnvironmentError extends F2bError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('environment', message, options);
  }
}

/** Cuts a long text for an error message, saying how much was left out. */
export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length - max} more characters)`;
}
