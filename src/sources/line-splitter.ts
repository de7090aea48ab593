/**
 * The one line splitter, for logs and for the control protocol's NDJSON.
 *
 * Splits a byte stream into lines: complete lines are decoded in bulk (one UTF-8
 * decode and one split per piece of up to 64 KiB, no per-byte work in JS), a partial last line is
 * held until its newline arrives, and no line grows past the cap. What happens to
 * a longer line is the one parameter (`overflow`):
 * - `cut` (logs): bytes beyond the cap are dropped until the next newline and the
 *   line is handed out marked `cut`, so a 10 MB line without newline costs at most
 *   `cap` bytes of memory;
 * - `refuse` (control requests and answers): `feed` throws `LineTooLong` as soon as
 *   the unfinished line passes the cap, without waiting for its newline.
 * The cap counts the bytes before the newline. Invalid UTF-8 becomes U+FFFD, never
 * an exception.
 */

import { isAscii } from 'node:buffer';

const NL = 0x0a;
const CR = 13;
/** First size of the buffer for a partial line; it doubles up to the cap when a longer one comes. */
const FIRST_HOLD = 4096;
/**
 * Most bytes decoded into one string. V8 puts strings over 128 KiB in its large-object
 * space (one mmap and munmap each, and an early GC): a 1 MiB read decoded whole cost
 * ~5× the CPU of the same bytes decoded in 64 KiB pieces (1 M auth.log lines: ~0.9 s
 * against ~0.16 s, half of it system time).
 */
const DECODE_BYTES = 65_536;

/** Receives one line without its newline (and without a trailing CR); `cut` when it was longer than the cap. */
export type LineSink = (text: string, cut: boolean) => void;

/** What a line longer than the cap becomes: cut at the cap (logs) or refused with `LineTooLong` (protocols). */
export type LineOverflow = 'cut' | 'refuse';

/** Thrown by `feed` of a `refuse` splitter when a line grows beyond the cap. */
export class LineTooLong extends Error {
  /** The cap in bytes. */
  readonly limit: number;
  constructor(limit: number) {
    super(`line longer than ${limit} bytes`);
    this.limit = limit;
  }
}

/** Cuts text to at most `maxBytes` bytes of UTF-8, at a character boundary. */
export function cutUtf8(text: string, maxBytes: number): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return text;
  let end = maxBytes;
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return bytes.toString('utf8', 0, end);
}

/**
 * UTF-8 text of chunk[from, to): pure ASCII (the usual log) is copied as Latin-1, which
 * gives the same string five times faster than the UTF-8 decoder (simdutf checks it).
 */
function decode(chunk: Buffer, from: number, to: number): string {
  return chunk.toString(isAscii(chunk.subarray(from, to)) ? 'latin1' : 'utf8', from, to);
}

/** A stateful splitter for one stream (one file, one child's stdout, one control connection). */
export class LineSplitter {
  private held: Buffer;
  private heldLen = 0;
  private unfinished = 0;

  /** `cap` is the longest line kept, in bytes; `overflow` says what a longer line becomes. */
  constructor(private readonly cap: number, private readonly sink: LineSink, private readonly overflow: LineOverflow = 'cut') {
    this.held = Buffer.allocUnsafe(Math.min(cap, FIRST_HOLD));
  }

  /**
   * Bytes of the current unfinished line (held or already dropped): the stream
   * position minus this is where the last complete line ended.
   */
  get pendingBytes(): number {
    return this.unfinished;
  }

  /** Feeds the next bytes of the stream; emits every line completed by them. */
  feed(chunk: Buffer): void {
    const first = chunk.indexOf(NL);
    if (first === -1) {
      this.hold(chunk, 0, chunk.length);
      return;
    }
    let from = 0;
    if (this.unfinished > 0) {
      this.hold(chunk, 0, first);
      this.emitHeld();
      from = first + 1;
    }
    const last = chunk.lastIndexOf(NL);
    while (from <= last) {
      // The piece ends at a newline: the last one within DECODE_BYTES, else (a longer line) the next.
      let end = last;
      if (end - from > DECODE_BYTES) {
        end = chunk.lastIndexOf(NL, from + DECODE_BYTES);
        if (end < from) end = chunk.indexOf(NL, from + DECODE_BYTES);
      }
      for (const part of decode(chunk, from, end).split('\n')) this.emit(part);
      from = end + 1;
    }
    this.hold(chunk, last + 1, chunk.length);
  }

  /** Emits the unfinished line as it is (end of a rotated file that ended without newline). */
  flush(): void {
    if (this.unfinished > 0) this.emitHeld();
  }

  /** Forgets the unfinished line (the file was truncated or replaced). */
  reset(): void {
    this.heldLen = 0;
    this.unfinished = 0;
  }

  private hold(chunk: Buffer, start: number, end: number): void {
    this.unfinished += end - start;
    if (this.unfinished > this.cap && this.overflow === 'refuse') throw new LineTooLong(this.cap);
    const room = this.cap - this.heldLen;
    if (room > 0 && end > start) {
      const n = Math.min(room, end - start);
      if (this.heldLen + n > this.held.length) this.grow(this.heldLen + n);
      chunk.copy(this.held, this.heldLen, start, start + n);
      this.heldLen += n;
    }
  }

  private grow(need: number): void {
    const next = Buffer.allocUnsafe(Math.min(this.cap, Math.max(need, this.held.length * 2)));
    this.held.copy(next, 0, 0, this.heldLen);
    this.held = next;
  }

  private emitHeld(): void {
    const cut = this.unfinished > this.cap;
    const text = this.held.toString('utf8', 0, this.heldLen);
    this.heldLen = 0;
    this.unfinished = 0;
    this.emit(text, cut);
  }

  private emit(text: string, cut = false): void {
    let line = text.length > 0 && text.charCodeAt(text.length - 1) === CR ? text.slice(0, -1) : text;
    // A UTF-16 unit is at most 3 UTF-8 bytes: only long strings need the exact byte count.
    if (line.length * 3 > this.cap && Buffer.byteLength(line, 'utf8') > this.cap) {
      if (this.overflow === 'refuse') throw new LineTooLong(this.cap);
      line = cutUtf8(line, this.cap);
      cut = true;
    }
    this.sink(line, cut);
  }
}
