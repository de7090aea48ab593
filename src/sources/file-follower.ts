/**
 * Follows one path through rotations: rename (read the rest of the old file for
 * a grace period, then the new one from 0), copytruncate (size below the offset
 * or a different first line → from 0), deletion and re-creation. Positions go to
 * the PositionStore after every read; failures go to onError once per distinct
 * problem and are retried with backoff.
 */
import { statSync } from 'node:fs';
import type { Clock } from '../core/clock.js';
import type { FilePosition, PositionStore } from './source.js';
import { Backoff } from './backoff.js';
import { sourceErrorFrom } from './errors.js';
import { FileReader, type ReaderEnv } from './file-reader.js';
import { endOfLastLine, fileHead, findCopy, findRotated, firstLineHash, headBytes, headHash, resumeOffset, startsWith } from './position.js';

/** Settings one follower needs beyond the reader's. */
export interface FollowerEnv extends ReaderEnv {
  readonly positions: PositionStore;
  readonly rotationGraceMs: number;
  /** The clock of grace periods and retry times (SourceDeps.delays). */
  readonly delays: Clock;
  readonly retryMinMs: number;
  readonly retryMaxMs: number;
  /** Asks the owner to run `check()` again later (the owner serialises checks). */
  schedule(follower: FileFollower, delayMs: number): void;
  /**
   * Before reading a newly opened file: is it already read under another path (a rotated
   * file that now matches a glob, a symlink)? Returns where to start ('busy' when another
   * path reads it now), or undefined when nobody knows it.
   */
  claim(claimant: FileFollower, dev: number, ino: number, hash: string, size: number): number | 'busy' | undefined;
  /** A rotated-away file was read to its end at `offset`: remembered for a later claim. */
  retire(dev: number, ino: number, offset: number, hash: string): void;
  /** True when `path` has a follower of its own (a glob matching rotated copies): it reads its tail itself. */
  followed(path: string): boolean;
}

interface Draining {
  readonly reader: FileReader;
  readonly until: number;
  readonly hash: string;
}

/** One followed path. */
export class FileFollower {
  private reader: FileReader | null = null;
  private hash = '';
  private readonly draining: Draining[] = [];
  private readonly backoff: Backoff;
  private failure: string | null = null;
  private retryAt = 0;
  private opened = false;
  /** First line and offset of the current file before its last truncation (to recognise its copy). */
  private beforeTruncate: { readonly hash: string; readonly offset: number } | null = null;
  /** The first line whose hash is `hash`, as bytes: later reads compare them instead of hashing again (sameFile). */
  private head: { readonly hash: string; readonly bytes: Buffer } | null = null;

  /**
   * `required`: a literal logpath (missing is an error) rather than a glob match.
   * `startAtEnd`: a file never seen before starts at its end (true for files present at start).
   */
  constructor(
    readonly path: string,
    readonly required: boolean,
    private startAtEnd: boolean,
    private readonly env: FollowerEnv,
  ) {
    this.backoff = new Backoff({ minMs: env.retryMinMs, maxMs: env.retryMaxMs });
  }

  /** True while the path is in a failed state waiting for its retry. */
  get failing(): boolean {
    return this.failure !== null;
  }

  /** True when the path is gone and nothing is left to drain (a glob match that disappeared). */
  get finished(): boolean {
    return this.reader === null && this.draining.length === 0 && this.failure === null && this.opened;
  }

  /**
   * Catches up: drains rotated-away files, follows the path to its current file,
   * reads to end, saves the position. `tick` checks skip a failing path until its retry time.
   */
  async check(tick = false): Promise<void> {
    const now = this.env.delays.now();
    if (tick && this.failure !== null && now < this.retryAt) return;
    await this.drain(now);
    let current;
    try {
      // Synchronous, as the reads after it (FileReader): no thread-pool trip between an inotify event and its lines.
      current = statSync(this.path);
      if (!current.isFile()) throw Object.assign(new Error('not a file'), { code: current.isDirectory() ? 'EISDIR' : 'EINVAL' });
    } catch (err) {
      await this.lose(now);
      if (this.required || (err as NodeJS.ErrnoException).code !== 'ENOENT') this.fail(err);
      else this.opened = true;
      return;
    }
    if (this.reader !== null && !this.reader.is(current.dev, current.ino)) await this.lose(now);
    try {
      if (this.reader === null) await this.openCurrent();
      if (this.reader === null) return; // read under another path for now
      await this.readCurrent();
      this.recover();
    } catch (err) {
      await this.lose(now);
      this.fail(err);
    }
  }

  /**
   * Another path found the file `dev`/`ino`: 'busy' if it is our current file, else if it
   * is one we are draining, hand it over (where its complete lines end) and stop reading it.
   */
  release(dev: number, ino: number): number | 'busy' | undefined {
    if (this.reader?.is(dev, ino)) return 'busy';
    const i = this.draining.findIndex((d) => d.reader.is(dev, ino));
    if (i === -1) return undefined;
    const [d] = this.draining.splice(i, 1);
    void d!.reader.close();
    return d!.reader.consumed;
  }

  /**
   * Where a copy of our current file would continue (copytruncate's copy matching a glob):
   * our offset if `hash` is our first line's (or was, before the last truncation), else undefined.
   */
  copyOffset(hash: string): number | undefined {
    if (this.reader === null || hash === '') return undefined;
    if (hash === this.hash) return this.reader.consumed;
    return hash === this.beforeTruncate?.hash ? this.beforeTruncate.offset : undefined;
  }

  /** Reads what is left, saves the position and closes everything. */
  async close(): Promise<void> {
    for (const d of this.draining.splice(0)) {
      await d.reader.readToEnd().catch(() => undefined);
      d.reader.splitter.flush();
      await d.reader.close();
    }
    if (this.reader !== null) {
      this.save(this.reader);
      await this.reader.close();
      this.reader = null;
    }
  }

  private async openCurrent(): Promise<void> {
    const reader = await FileReader.open(this.path, this.env);
    const size = reader.size();
    this.hash = firstLineHash(reader.fh, this.env.lineBytes);
    // Only the first open consults the store; a file appearing later (rotation, creation) is new.
    const saved = this.opened ? undefined : this.env.positions.get(this.path);
    const resume = resumeOffset(saved, { size, firstLineHash: this.hash });
    if (saved?.inode !== undefined && saved.inode !== reader.inode) await this.readRotatedRest(saved);
    const claimed = this.env.claim(this, reader.dev, reader.inode, this.hash, size);
    if (claimed === 'busy') {
      await reader.close();
      this.env.schedule(this, this.backoff.next());
      return;
    }
    const start = claimed ?? resume ?? (this.startAtEnd ? await endOfLastLine(reader.fh, size, this.env.lineBytes) : 0);
    reader.seek(start);
    this.reader = reader;
    this.opened = true;
    this.startAtEnd = false;
    this.save(reader);
  }

  /**
   * At start, the path names another file than the remembered one: if the remembered
   * file is still next to it under a rotated name, read what was written to it after
   * our last position (lines logged between our stop and the rotation).
   */
  private async readRotatedRest(saved: FilePosition): Promise<void> {
    const rotated = await findRotated(this.path, saved.inode!);
    if (rotated === undefined) return;
    const reader = await FileReader.open(rotated, this.env).catch(() => null);
    if (reader === null) return;
    try {
      if (firstLineHash(reader.fh, this.env.lineBytes) !== saved.firstLineHash || reader.size() < saved.offset) return;
      reader.seek(saved.offset);
      await reader.readToEnd();
      reader.splitter.flush();
      this.env.retire(reader.dev, reader.inode, reader.offset, saved.firstLineHash);
    } finally {
      await reader.close();
    }
  }

  private async readCurrent(): Promise<void> {
    const reader = this.reader!;
    const before = reader.consumed;
    let replaced = reader.size() < reader.offset; // copytruncate: emptied, maybe written again
    if (!replaced) replaced = (await reader.readToEnd((bytes, at) => this.sameFile(reader, bytes, at))) === 'replaced';
    if (replaced) {
      this.beforeTruncate = { hash: this.hash, offset: await this.readCopyTail(this.hash, reader.consumed) };
      reader.seek(0);
      this.hash = '';
      await reader.readToEnd((bytes, at) => this.sameFile(reader, bytes, at));
    }
    if (this.hash === '' && reader.consumed > 0) this.hash = firstLineHash(reader.fh, this.env.lineBytes);
    if (replaced || reader.consumed !== before) this.save(reader);
  }

  /**
   * copytruncate emptied the file: what was written after our last read (between two
   * polls) is only in the copy (`app.log.1`). Reads the copy from `offset` to its last
   * complete line and returns where it stopped (where a later claim of the copy goes on).
   */
  private async readCopyTail(hash: string, offset: number): Promise<number> {
    if (hash === '') return offset;
    const copy = await findCopy(this.path, hash, offset, this.env.lineBytes);
    if (copy === undefined || this.env.followed(copy)) return offset;
    const reader = await FileReader.open(copy, this.env).catch(() => null);
    if (reader === null) return offset;
    try {
      reader.seek(offset);
      await reader.readToEnd();
      this.env.retire(reader.dev, reader.inode, reader.consumed, hash);
      return reader.consumed;
    } finally {
      await reader.close();
    }
  }

  /**
   * Checked after every read, before its lines go out: does the file still start with
   * the first line we know? A file emptied and rewritten past our offset (even during
   * the read) is thereby read again from 0. Learns the hash from a read at offset 0.
   */
  private sameFile(reader: FileReader, bytes: Buffer, at: number): boolean {
    const cap = this.env.lineBytes;
    if (at !== 0) {
      if (this.hash === '') return true;
      if (this.head?.hash === this.hash) return startsWith(reader.fh.fd, this.head.bytes);
    }
    const head = at === 0 ? bytes : fileHead(reader.fh, cap);
    const now = headHash(head, cap);
    const line = headBytes(head, cap);
    if (line !== undefined) this.head = { hash: now, bytes: line };
    if (this.hash === '') {
      this.hash = now;
      return true;
    }
    return now === this.hash;
  }

  private save(reader: FileReader): void {
    this.env.positions.set(this.path, { offset: reader.consumed, firstLineHash: this.hash, inode: reader.inode });
  }

  /** The path no longer names our file: keep reading the old one for the grace period. */
  private async lose(now: number): Promise<void> {
    if (this.reader === null) return;
    const reader = this.reader;
    this.reader = null;
    this.draining.push({ reader, until: now + this.env.rotationGraceMs, hash: this.hash });
    this.hash = '';
    await this.drain(now);
  }

  private async drain(now: number): Promise<void> {
    for (let i = 0; i < this.draining.length; ) {
      const d = this.draining[i]!;
      await d.reader.readToEnd().catch(() => undefined);
      if (now >= d.until) {
        d.reader.splitter.flush();
        this.env.retire(d.reader.dev, d.reader.inode, d.reader.offset, d.hash);
        await d.reader.close();
        this.draining.splice(i, 1);
      } else i++;
    }
    if (this.draining.length > 0) {
      const next = Math.min(...this.draining.map((d) => d.until)) - now;
      this.env.schedule(this, Math.max(0, Math.min(next, 1000)));
    }
  }

  private fail(err: unknown): void {
    this.startAtEnd = false; // once readable again, nothing of it has been read: start from 0
    const error = sourceErrorFrom(this.path, err);
    const delay = this.backoff.next();
    this.retryAt = this.env.delays.now() + delay;
    if (error.message !== this.failure) this.env.onError(error, this.path);
    this.failure = error.message;
    this.env.schedule(this, delay);
  }

  private recover(): void {
    this.failure = null;
    this.backoff.reset();
  }
}
