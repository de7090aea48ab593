/**
 * Splits a byte stream into newline-terminated lines with a size cap, so a
 * peer that never sends a newline cannot make the other side buffer forever.
 */

/** Thrown by LineSplitter.push when a line grows beyond the cap. */
export class LineTooLong extends Error {
  readonly limit: number;
  constructor(limit: number) {
    super(`line longer than ${limit} bytes`);
    this.limit = limit;
  }
}

/** Collects chunks and hands out complete lines (UTF-8, without the newline). */
export class LineSplitter {
  private chunks: Buffer[] = [];
  private pending = 0;
  private readonly limit: number;

  /** `limit`: the longest line accepted, in bytes, not counting the newline. */
  constructor(limit: number) {
    this.limit = limit;
  }

  /** Adds a chunk; returns the lines it completed. Throws LineTooLong past the cap. */
  push(chunk: Buffer): string[] {
    const lines: string[] = [];
    let start = 0;
    for (let nl = chunk.indexOf(10, start); nl !== -1; nl = chunk.indexOf(10, start)) {
      const part = chunk.subarray(start, nl);
      if (this.pending + part.length > this.limit) throw new LineTooLong(this.limit);
      this.chunks.push(part);
      lines.push(Buffer.concat(this.chunks).toString('utf8'));
      this.chunks = [];
      this.pending = 0;
      start = nl + 1;
    }
    const rest = chunk.subarray(start);
    if (rest.length > 0) {
      if (this.pending + rest.length > this.limit) throw new LineTooLong(this.limit);
      this.chunks.push(rest);
      this.pending += rest.length;
    }
    return lines;
  }

  /** Bytes received after the last newline. */
  get buffered(): number {
    return this.pending;
  }
}
