/**
 * The log-source contract: a source reads lines from files or the systemd journal
 * and hands each one, capped and decoded, to `onLine`. Failures go to `onError`
 * (with the path) and are retried; one failing file never stops the others.
 */
import type { Clock, Timers } from '../core/clock.js';
import type { ConfigPosition } from '../core/errors.js';
import type { Line } from '../core/records.js';
import type { Tracer } from '../core/trace.js';
import { SOURCE_DEFAULTS } from '../core/defaults.js';
import { FileSource } from './file-source.js';
import { JournalSource, type JournalCommand } from './journal-source.js';

/** A running reader of one jail's logs. */
export interface LogSource {
  /** `files:<patterns>` or `journal:<matches>`, for logs and status. */
  readonly name: string;
  /** Opens everything and starts following; resolves once the initial positions are set. */
  start(): Promise<void>;
  /** Stops following, saves positions, closes files and children. */
  stop(): Promise<void>;
}

/**
 * Where a file was read up to. For the journal the key is `journal:<matches>`,
 * `firstLineHash` holds the journal cursor and `offset` is 0.
 */
export interface FilePosition {
  /** Byte offset just after the last complete line handed out. */
  readonly offset: number;
  /** sha256 (hex) of the file's first line; a different hash means the file was replaced. */
  readonly firstLineHash: string;
  /** Inode number when the position was taken: at start, finds the file again after a rotation (`auth.log.1`). */
  readonly inode?: number;
}

/** Persists read positions across restarts (the daemon's store implements it). */
export interface PositionStore {
  get(path: string): FilePosition | undefined;
  set(path: string, pos: FilePosition): void;
}

/** Which backend follows the logs, as in fail2ban's `backend` key. */
export type SourceBackend = 'auto' | 'polling' | 'inotify' | 'systemd';

/** What to read: a jail's `logpath`, `backend` and `journalmatch`. */
export interface SourceSpec {
  /** Paths or glob patterns (`*`, `?`, `[…]`), absolute. Ignored for `systemd`. */
  readonly logpath: readonly string[];
  readonly backend: SourceBackend;
  /** journalctl match tokens: `FIELD=value` and `+` (OR); elements may hold several, space-separated. */
  readonly journalmatch?: readonly string[];
  /** Where the spec came from, for ConfigError messages (bad journalmatch). */
  readonly origin?: ConfigPosition;
}

/** Timings and sizes a source uses; defaults in SOURCE_DEFAULTS, shortened in tests. */
export type SourceTuning = { -readonly [K in keyof typeof SOURCE_DEFAULTS]: number };

/** Side effects a source needs, passed in. */
export interface SourceDeps {
  readonly clock: Clock;
  readonly positions: PositionStore;
  onLine(line: Line): void;
  onError(err: Error, source: string): void;
  /**
   * Backpressure: asked after each read; a promise means the lines' consumer is full and the
   * next read waits for it (BanManager.room). Absent: reads never wait.
   */
  readonly room?: () => Promise<void> | undefined;
  /** Overrides for SOURCE_DEFAULTS. */
  readonly tuning?: Partial<SourceTuning>;
  /** Starts the poll ticker (default: setInterval); tests inject one they fire by hand. */
  readonly startInterval?: StartInterval;
  /**
   * The clock and timers of rotation grace periods and retries of files and of the journal
   * reader's restarts (default: Node's); tests inject ones they move by hand. `clock` above
   * only dates lines.
   */
  readonly delays?: Clock & Timers;
  /** The journal reader to run instead of `journalctl` (tests use a script printing journal JSON). */
  readonly journalCommand?: JournalCommand;
  /** Stage marks (inotify, read, line) of the ban path; absent: no tracing. */
  readonly tracer?: Tracer;
}

/** Starts a repeating timer calling `fn` every `ms`; returns the function that stops it. */
export type StartInterval = (fn: () => void, ms: number) => () => void;

/** The real repeating timer. */
export const startInterval: StartInterval = (fn, ms) => {
  const t = setInterval(fn, ms);
  return () => clearInterval(t);
};

/** SOURCE_DEFAULTS with the caller's overrides applied. */
export function resolveTuning(overrides: Partial<SourceTuning> | undefined): SourceTuning {
  return { ...SOURCE_DEFAULTS, ...overrides };
}

/** Builds the source for one jail: a journal reader for `systemd`, else a file follower set. */
export function createSources(spec: SourceSpec, deps: SourceDeps): LogSource {
  if (spec.backend === 'systemd') return new JournalSource(spec.journalmatch ?? [], deps, spec.origin);
  return new FileSource(spec.logpath, spec.backend, deps);
}
