/**
 * The systemd journal through ONE long-lived `journalctl --follow --output=json`
 * child per source (never a process per line). The last cursor handed out is kept
 * in the PositionStore under `journal:<matches>`; a restart resumes after it
 * (`--after-cursor`), a journal never read starts at its end (`--lines=0`). A child
 * that dies is reported and started again with backoff.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { systemTimers, type Timers } from '../core/clock.js';
import type { ConfigPosition } from '../core/errors.js';
import { LIMITS } from '../core/defaults.js';
import type { LogSource, SourceDeps, SourceTuning } from './source.js';
import { resolveTuning } from './source.js';
import { Backoff } from './backoff.js';
import { SourceError } from './errors.js';
import { LineSplitter } from './line-splitter.js';
import { journalMatchArgs, parseJournalLine } from './journal-entry.js';

/** The program that prints the journal: `journalctl` normally, a script in tests. */
export interface JournalCommand {
  readonly file: string;
  /** Arguments put before journalctl's own (e.g. the script path when `file` is node). */
  readonly args: readonly string[];
}

/** The real journal reader. */
export const JOURNALCTL: JournalCommand = { file: 'journalctl', args: [] };

const STDERR_KEPT = 2000;

/** Follows the journal entries that match `journalmatch`. */
export class JournalSource implements LogSource {
  readonly name: string;
  private readonly matches: string[];
  private readonly tuning: SourceTuning;
  private readonly command: JournalCommand;
  private readonly backoff: Backoff;
  private child: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();
  private restartTimer: unknown = null;
  private readonly delays: Timers;
  private stopped = true;
  private cursor: string | undefined;
  private savedCursor: string | undefined;

  /** Throws ConfigError for a bad match token. */
  constructor(journalmatch: readonly string[], private readonly deps: SourceDeps, origin?: ConfigPosition) {
    this.matches = journalMatchArgs(journalmatch, origin);
    this.name = `journal:${this.matches.join(' ')}`;
    this.tuning = resolveTuning(deps.tuning);
    this.command = deps.journalCommand ?? JOURNALCTL;
    this.backoff = new Backoff({ minMs: this.tuning.retryMinMs, maxMs: this.tuning.retryMaxMs });
    this.delays = deps.delays ?? systemTimers;
  }

  /** Starts the reader; resolves once the child is running (or its failure is reported and a retry set). */
  async start(): Promise<void> {
    this.stopped = false;
    this.cursor = this.deps.positions.get(this.name)?.firstLineHash || undefined;
    this.savedCursor = this.cursor;
    await this.launch();
  }

  /** Stops the child (SIGTERM, then SIGKILL after 2 s) and saves the cursor. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.restartTimer !== null) this.delays.clearTimeout(this.restartTimer);
    this.restartTimer = null;
    const child = this.child;
    if (child !== null && child.exitCode === null && child.signalCode === null) {
      const kill = setTimeout(() => child.kill('SIGKILL'), 2000);
      child.kill('SIGTERM');
      await this.exited;
      clearTimeout(kill);
    }
    this.saveCursor();
  }

  /** The arguments for one run of the reader. */
  args(): string[] {
    const from = this.cursor !== undefined ? [`--after-cursor=${this.cursor}`] : ['--lines=0'];
    return [...this.command.args, '--follow', '--output=json', '--all', '--quiet', ...from, ...this.matches];
  }

  private launch(): Promise<void> {
    const usedCursor = this.cursor;
    const child = spawn(this.command.file, this.args(), { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    let stderr = '';
    const splitter = new LineSplitter(this.tuning.journalEntryBytes, (json, cut) => this.onJson(json, cut));
    child.stdout!.on('data', (chunk: Buffer) => {
      splitter.feed(chunk);
      this.saveCursor();
      // Backpressure: journalctl waits (its pipe full) while the bans of what it wrote are pending.
      const room = this.deps.room?.();
      if (room) {
        child.stdout!.pause();
        void room.then(() => child.stdout!.resume());
      }
    });
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (s: string) => {
      stderr = (stderr + s).slice(-STDERR_KEPT);
    });
    let ended = false;
    let running!: () => void;
    const started = new Promise<void>((resolve) => (running = resolve));
    const end = (problem: string, cause?: unknown): void => {
      if (ended) return;
      ended = true;
      running();
      if (this.child === child) this.child = null;
      if (this.stopped) return;
      const delay = this.backoff.next();
      let why = stderr.trim() === '' ? '' : `: ${stderr.trim()}`;
      if (usedCursor !== undefined && this.cursor === usedCursor && /cursor/i.test(stderr)) {
        // A cursor journalctl cannot seek to (damaged store, other machine): start at the end instead.
        this.cursor = undefined;
        why += ' (the saved cursor is dropped: reading from the end of the journal)';
      }
      this.deps.onError(new SourceError('journal', `${this.command.file} ${problem}${why}; restarting in ${delay} ms`, { cause }), this.name);
      this.restartTimer = this.delays.setTimeout(() => {
        this.restartTimer = null;
        if (!this.stopped) void this.launch();
      }, delay);
    };
    this.exited = new Promise<void>((resolve) => {
      child.on('close', (code, signal) => {
        end(signal !== null ? `was killed by ${signal}` : `exited with code ${code}`);
        resolve();
      });
      child.on('error', (err) => {
        end(`could not be started (${err.message})`, err);
        resolve();
      });
    });
    child.on('spawn', () => running());
    return started;
  }

  private onJson(json: string, cut: boolean): void {
    if (cut) {
      this.deps.onError(new SourceError('journal', `entry longer than ${this.tuning.journalEntryBytes} bytes dropped`), this.name);
      return;
    }
    const entry = parseJournalLine(json, LIMITS.lineBytes);
    if (entry === null) return;
    this.cursor = entry.cursor;
    this.backoff.reset();
    try {
      this.deps.onLine({ source: 'journal', text: entry.text, readAt: this.deps.clock.now(), cut: entry.cut });
    } catch (err) {
      this.deps.onError(err as Error, this.name);
    }
  }

  private saveCursor(): void {
    if (this.cursor === undefined || this.cursor === this.savedCursor) return;
    this.deps.positions.set(this.name, { offset: 0, firstLineHash: this.cursor });
    this.savedCursor = this.cursor;
  }
}
