/**
 * One open log file being read: a handle, the read offset and the line splitter
 * for it. Reads run to end of file in large chunks; every completed line goes to
 * the sink with the file's path and the injected clock's time. While the sink is
 * full (`room`) the next read waits: the rest of a flood stays in the file.
 */
import { fstatSync, readSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import type { Clock } from '../core/clock.js';
import type { Line } from '../core/records.js';
import { LineSplitter } from './line-splitter.js';
import { STAGE, type Tracer } from '../core/trace.js';

/** Where lines go, and how they are read. */
export interface ReaderEnv {
  readonly clock: Clock;
  readonly lineBytes: number;
  /** One reusable chunk buffer, shared by the readers of one source (which reads one file at a time). */
  readonly chunk: Buffer;
  onLine(line: Line): void;
  onError(err: Error, source: string): void;
  /** Stage marks (read, line); absent: no tracing. */
  readonly tracer?: Tracer;
  /** Backpressure (SourceDeps.room): a promise here makes the next read wait for it. */
  readonly room?: () => Promise<void> | undefined;
}

/** An open file at a read offset. */
export class FileReader {
  readonly splitter: LineSplitter;
  private readAt = 0;

  private constructor(
    readonly path: string,
    readonly fh: FileHandle,
    readonly dev: number,
    readonly inode: number,
    public offset: number,
    private readonly env: ReaderEnv,
  ) {
    this.splitter = new LineSplitter(env.lineBytes, (text, cut) => {
      env.tracer?.mark(STAGE.line);
      try {
        env.onLine({ source: path, text, readAt: this.readAt, cut });
      } catch (err) {
        env.onError(err as Error, path);
      }
    });
  }

  /** Opens `path` read-only; throws the fs error (ENOENT, EACCES…) or EISDIR for a directory. */
  static async open(path: string, env: ReaderEnv): Promise<FileReader> {
    const fh = await open(path, 'r');
    try {
      const st = await fh.stat();
      if (!st.isFile()) {
        throw Object.assign(new Error(`${path} is not a regular file`), { code: st.isDirectory() ? 'EISDIR' : 'EINVAL' });
      }
      return new FileReader(path, fh, st.dev, st.ino, 0, env);
    } catch (err) {
      await fh.close();
      throw err;
    }
  }

  /** True when this reader has the file `dev`/`ino` open. */
  is(dev: number, ino: number): boolean {
    return this.dev === dev && this.inode === ino;
  }

  /** Offset just after the last complete line handed out. */
  get consumed(): number {
    return this.offset - this.splitter.pendingBytes;
  }

  /** Moves to `offset`, forgetting any unfinished line. */
  seek(offset: number): void {
    this.offset = offset;
    this.splitter.reset();
  }

  /** Current size of the open file (not of whatever the path names now). */
  size(): number {
    return fstatSync(this.fh.fd).size;
  }

  /**
   * Reads from the offset to end of file, handing out every completed line. `unchanged`,
   * if given, runs after each read (with the bytes and where they were read) before its
   * lines go out: false means the file was replaced under us (truncated and rewritten),
   * the chunk is dropped and 'replaced' returned. The reads are synchronous (a log file
   * is read from the page cache: a thread-pool trip per read cost more than the read),
   * and a read shorter than the chunk is the end of the file: what is written later
   * comes with its own inotify event or poll tick, so no read waits for a second one.
   */
  async readToEnd(unchanged?: (bytes: Buffer, at: number) => boolean): Promise<'eof' | 'replaced'> {
    const { chunk } = this.env;
    for (;;) {
      const bytesRead = readSync(this.fh.fd, chunk, 0, chunk.length, this.offset);
      if (bytesRead === 0) return 'eof';
      this.env.tracer?.mark(STAGE.read);
      const bytes = chunk.subarray(0, bytesRead);
      if (unchanged !== undefined && !unchanged(bytes, this.offset)) return 'replaced';
      this.readAt = this.env.clock.now();
      this.offset += bytesRead;
      this.splitter.feed(bytes);
      if (bytesRead < chunk.length) return 'eof';
      // A file growing faster than it is read: wait while the ban queue is full (backpressure),
      // else let the event loop (the kernel sends) in between chunks.
      await (this.env.room?.() ?? new Promise(setImmediate));
    }
  }

  /** Closes the handle (errors ignored: the file may be gone). */
  async close(): Promise<void> {
    await this.fh.close().catch(() => undefined);
  }
}
