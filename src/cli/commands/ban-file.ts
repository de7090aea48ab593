/**
 * `f2b-fw ban JAIL --file PATH|-`: addresses (and prefixes) one per line from a
 * file or stdin, `#` comments and blank lines skipped, sent to the daemon in
 * chunks that fit a control request (LIMITS.controlRequestBytes), one after the
 * other on one connection. Each chunk is
 * one `ban` request with `partial`: the daemon checks every address with the
 * ban guard on its own and applies the rest as one kernel and one store
 * transaction; refusals come back per address and are reported per line.
 */
import { readFileSync } from 'node:fs';
import type { BanResult } from '../../daemon/api.js';
import type { CommandArgs } from '../command.js';
import { connectDaemon } from '../../control/cli.js';
import { LIMITS } from '../../core/defaults.js';
import { F2bError } from '../../core/errors.js';

/** Addresses per request at most; requests also stay under half the request size limit. */
export const BAN_FILE_CHUNK = 10_000;
/** Longer than any address or prefix text: refused without asking the daemon. */
const MAX_ENTRY_CHARS = 100;

/** One address line of the file. */
export interface BanFileEntry {
  readonly line: number;
  readonly text: string;
}

/** One refused line. */
export interface BanFileRefusal {
  readonly line: number;
  readonly addr: string;
  readonly message: string;
}

/** What `ban --file` did (`--json` prints it). */
export interface BanFileSummary {
  readonly jail: string;
  readonly file: string;
  readonly addresses: number;
  readonly banned: number;
  readonly already: number;
  readonly extended: number;
  readonly refused: readonly BanFileRefusal[];
}

/** The address lines of a ban file: text before `#`, trimmed, blank lines skipped. */
export function banFileEntries(text: string): BanFileEntry[] {
  const out: BanFileEntry[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const hash = lines[i]!.indexOf('#');
    const entry = (hash < 0 ? lines[i]! : lines[i]!.slice(0, hash)).trim();
    if (entry !== '') out.push({ line: i + 1, text: entry });
  }
  return out;
}

/** Splits entries into requests of at most BAN_FILE_CHUNK addresses and half the request size limit. */
export function banFileChunks(entries: readonly BanFileEntry[]): BanFileEntry[][] {
  const chunks: BanFileEntry[][] = [];
  let chunk: BanFileEntry[] = [];
  let bytes = 0;
  for (const e of entries) {
    const size = Buffer.byteLength(e.text) + 3;
    if (chunk.length >= BAN_FILE_CHUNK || bytes + size > LIMITS.controlRequestBytes / 2) {
      chunks.push(chunk);
      chunk = [];
      bytes = 0;
    }
    chunk.push(e);
    bytes += size;
  }
  if (chunk.length > 0) chunks.push(chunk);
  return chunks;
}

/** Reads PATH (`-`: stdin) and bans its addresses in `jail`, chunk by chunk. */
export async function banFromFile(args: CommandArgs, jail: string, path: string, force: boolean): Promise<BanFileSummary> {
  let text: string;
  try {
    text = readFileSync(path === '-' ? 0 : path, 'utf8');
  } catch (e) {
    throw new F2bError('usage', `cannot read ${path === '-' ? 'stdin' : path}: ${(e as Error).message}`);
  }
  const entries = banFileEntries(text);
  const refused: BanFileRefusal[] = [];
  const asked = entries.filter((e) => {
    if (e.text.length <= MAX_ENTRY_CHARS) return true;
    refused.push({ line: e.line, addr: `${e.text.slice(0, 40)}…`, message: 'not an IP address or prefix (too long)' });
    return false;
  });
  let banned = 0;
  let already = 0;
  let extended = 0;
  // One connection, one chunk at a time: two side by side cost the daemon more CPU and memory (batches of 20,000) and gained nothing.
  const client = await connectDaemon(args);
  try {
    for (const chunk of banFileChunks(asked)) {
      const r = (await client.request('ban', { jail, addrs: chunk.map((e) => e.text), force, partial: true })) as BanResult;
      banned += r.banned.length;
      already += r.already.length;
      extended += r.refreshed.filter((x) => x.extended).length;
      refused.push(...refusedLines(chunk, r));
    }
  } finally {
    client.close();
  }
  refused.sort((a, b) => a.line - b.line);
  return { jail, file: path, addresses: entries.length, banned, already, extended, refused };
}

/** The refusals of one chunk's answer, on the lines they came from (a text on several lines: each of them). */
function refusedLines(chunk: readonly BanFileEntry[], r: BanResult): BanFileRefusal[] {
  const lines = new Map<string, number[]>();
  for (const e of chunk) {
    const seen = lines.get(e.text);
    if (seen) seen.push(e.line);
    else lines.set(e.text, [e.line]);
  }
  const out: BanFileRefusal[] = [];
  for (const x of r.refused ?? []) {
    for (const line of lines.get(x.addr) ?? []) out.push({ line, addr: x.addr, message: x.message });
    lines.delete(x.addr);
  }
  return out;
}
