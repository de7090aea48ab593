/** Reading a child's output line by line (JSON-lines peers, the daemon's log). */
import type { Readable } from 'node:stream';

/** Calls `fn` with each complete line of `stream` (UTF-8, without the newline). */
export function eachLine(stream: Readable, fn: (line: string) => void): void {
  let buf = '';
  stream.setEncoding('utf8').on('data', (chunk: string) => {
    buf += chunk;
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      fn(line);
    }
  });
}
