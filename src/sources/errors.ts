/** Errors raised by log sources: each names the file (or `journal`) that failed. */
import { F2bError } from '../core/errors.js';

/** A log source could not be read: missing, unreadable, not a file, or its reader died. */
export class SourceError extends F2bError {
  /** The file path, glob pattern or `journal` that failed. */
  readonly path: string;
  constructor(path: string, problem: string, options?: { cause?: unknown }) {
    super('source', `${path}: ${problem}`, options);
    this.path = path;
  }
}

/** Turns a Node fs error into a SourceError that says what happened in plain words. */
export function sourceErrorFrom(path: string, err: unknown): SourceError {
  if (err instanceof SourceError) return err;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const problem =
    code === 'ENOENT' ? 'does not exist (will retry)'
    : code === 'EACCES' || code === 'EPERM' ? 'permission denied (will retry)'
    : code === 'EISDIR' ? 'is a directory, not a log file (will retry)'
    : code === 'ENOTDIR' ? 'a parent is not a directory (will retry)'
    : `cannot be read: ${(err as Error | undefined)?.message ?? String(err)} (will retry)`;
  return new SourceError(path, problem, { cause: err });
}
