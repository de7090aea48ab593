/**
 * The line buffer of a multi-line filter (maxlines > 1): the last lines
 * (without their dates) joined with `\n` for matching, and, after a match,
 * the matched lines taken out while the unmatched and `<SKIPLINES>` ones stay
 * for later matches, as fail2ban does.
 */

/** One buffered line: the text the regexes see and the original line. */
export interface BufferedLine { readonly rest: string; readonly text: string }

function countNewlines(s: string, end: number): number {
  let n = 0;
  for (let i = s.indexOf('\n'); i >= 0 && i < end; i = s.indexOf('\n', i + 1)) n++;
  return n;
}

/** Keeps the last `size` lines. */
export class LineBuffer {
  private lines: BufferedLine[] = [];
  constructor(private readonly size: number) {}

  push(rest: string, text: string): void {
    this.lines.push({ rest, text });
    if (this.lines.length > this.size) this.lines.splice(0, this.lines.length - this.size);
  }

  /** The buffer as the regexes see it: lines joined by `\n`, with a final `\n`. */
  text(): string {
    return `${this.lines.map((l) => l.rest).join('\n')}\n`;
  }

  clear(): void { this.lines = []; }

  /** Removes and returns the lines `m` (a match on `text()`) spans, except skipped ones (groups `skiplines`). */
  take(m: RegExpExecArray, skiplines: readonly number[]): BufferedLine[] {
    const buf = m.input;
    const start = m.index;
    const end = start + m[0].length;
    const first = countNewlines(buf, start + 1);
    const nl = buf.indexOf('\n', Math.max(end - 1, 0));
    const after = nl < 0 ? this.lines.length : countNewlines(buf, nl + 1);
    const matched = this.lines.slice(first, after);
    const kept = this.lines.slice(0, first);
    const skipped = skiplines.flatMap((i) => (m[i] ?? '').split('\n').filter((l) => l !== ''));
    for (const s of skipped) {
      const i = matched.findIndex((l) => l.rest === s);
      if (i >= 0) kept.push(...matched.splice(i, 1));
    }
    this.lines = [...kept, ...this.lines.slice(after)];
    return matched;
  }
}
