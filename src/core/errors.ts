/**
 * Typed errors. Every error names the object that failed so that a message
 * alone tells the admin what to fix.
 */

/** Base of every error f2b-fw raises on purpose; `code` is stable for scripts. */
export class F2bError extends Error {
  /** A short stable identifier, e.g. `config`, `kernel`, `environment`. */
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
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

/** The kernel (through libnftables, netlink or iptables) refused a change. */
export class KernelError extends F2bError {
  /** The command or batch that failed, as sent. */
  readonly command: string;
  constructor(message: string, command: string, options?: { cause?: unknown }) {
    super('kernel', `${message}\n  while running: ${truncate(command, 2000)}`, options);
    this.command = command;
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
