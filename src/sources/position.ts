/**
 * Read positions: where to start reading a file, given what the PositionStore
 * remembers (offset, first-line hash, inode) and what the file holds now.
 */
import { createHash } from 'node:crypto';
import { readSync } from 'node:fs';
import { open, readdir, stat, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { FilePosition, PositionStore } from './source.js';

const NL = 0x0a;

/**
 * sha256 (hex) of the first line in `head` (the file's first bytes; at most `cap`
 * bytes of the line count), or '' while the first line is still incomplete (no
 * newline yet and shorter than the cap).
 */
export function headHash(head: Buffer, cap: number): string {
  const nl = head.subarray(0, cap).indexOf(NL);
  if (nl === -1 && head.length < cap) return '';
  return createHash('sha256').update(head.subarray(0, nl === -1 ? cap : nl)).digest('hex');
}

/**
 * The bytes `headHash` hashes, with the newline after them (a line shorter than
 * `cap`): a file whose first bytes are these has the same first line. Undefined
 * while the first line is incomplete, as headHash's ''.
 */
export function headBytes(head: Buffer, cap: number): Buffer | undefined {
  const nl = head.subarray(0, cap).indexOf(NL);
  if (nl === -1 && head.length < cap) return undefined;
  return Buffer.from(head.subarray(0, nl === -1 ? cap : nl + 1));
}

/**
 * True when the file open as `fd` starts with `bytes` (a first line from headBytes):
 * a read of its length at offset 0 and a comparison, instead of reading `cap` bytes
 * and hashing them after every read of a followed file.
 */
export function startsWith(fd: number, bytes: Buffer): boolean {
  const buf = Buffer.allocUnsafe(bytes.length);
  return readSync(fd, buf, 0, bytes.length, 0) === bytes.length && buf.equals(bytes);
}

/**
 * headHash of the file's first bytes, read from the open handle. Synchronous: it runs
 * after every read of a followed file, and a page-cache read of a few KB costs less
 * than the trip through libuv's thread pool it would otherwise wait for.
 */
export function firstLineHash(fh: FileHandle, cap: number): string {
  return headHash(fileHead(fh, cap), cap);
}

/** The file's first `cap` bytes (fewer when it is shorter), read synchronously from the open handle. */
export function fileHead(fh: FileHandle, cap: number): Buffer {
  const buf = Buffer.allocUnsafe(cap);
  return buf.subarray(0, readSync(fh.fd, buf, 0, cap, 0));
}

/**
 * Offset just after the last newline before `size` (looking back at most `cap`
 * bytes; 0 if none is found there): where "start at the end" begins so that the
 * first line handed out is a whole one.
 */
export async function endOfLastLine(fh: FileHandle, size: number, cap: number): Promise<number> {
  if (size === 0) return 0;
  const len = Math.min(size, cap);
  const buf = Buffer.allocUnsafe(len);
  const { bytesRead } = await fh.read(buf, 0, len, size - len);
  const nl = buf.subarray(0, bytesRead).lastIndexOf(NL);
  return nl === -1 ? (size > cap ? size : 0) : size - len + nl + 1;
}

/** What the file looks like now. */
export interface FileNow {
  readonly size: number;
  readonly firstLineHash: string;
}

/**
 * Where to resume a file given the remembered position: from 0 when the first
 * line changed (the file was replaced) or the file is shorter than the offset
 * (truncated); else from the remembered offset. `undefined` when nothing is remembered.
 */
export function resumeOffset(saved: FilePosition | undefined, now: FileNow): number | undefined {
  if (saved === undefined) return undefined;
  if (saved.firstLineHash !== now.firstLineHash) return 0;
  if (saved.offset > now.size) return 0;
  return saved.offset;
}

/** Siblings of `path` whose name starts with its name (`auth.log.1`, `auth.log-20261121`), with their stat. */
async function* rotatedNames(path: string): AsyncGenerator<{ path: string; ino: number; size: number; mtimeMs: number }> {
  const dir = dirname(path);
  const base = basename(path);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return;
  }
  for (const name of names) {
    if (name === base || !name.startsWith(base)) continue;
    try {
      const st = await stat(join(dir, name));
      if (st.isFile()) yield { path: join(dir, name), ino: st.ino, size: st.size, mtimeMs: st.mtimeMs };
    } catch {
      /* gone meanwhile */
    }
  }
}

/**
 * The file `path` was rotated to while we were stopped: a sibling whose name starts
 * with the file's name (`auth.log.1`, `auth.log-20261121`) and has the remembered inode.
 */
export async function findRotated(path: string, inode: number): Promise<string | undefined> {
  for await (const s of rotatedNames(path)) if (s.ino === inode) return s.path;
  return undefined;
}

/**
 * The copy copytruncate made of `path` before emptying it: the most recently
 * modified sibling (`app.log.1`…) starting with the first line `hash` and at least
 * `offset` bytes long, so its bytes after `offset` are what was written between
 * our last read and the truncation. Compressed or other files do not match.
 */
export async function findCopy(path: string, hash: string, offset: number, cap: number): Promise<string | undefined> {
  let best: { path: string; mtimeMs: number } | undefined;
  for await (const s of rotatedNames(path)) {
    if (s.size < offset || (best !== undefined && s.mtimeMs <= best.mtimeMs)) continue;
    let fh: FileHandle | undefined;
    try {
      fh = await open(s.path, 'r');
      if (firstLineHash(fh, cap) === hash) best = s;
    } catch {
      /* unreadable or gone: not our copy */
    } finally {
      await fh?.close();
    }
  }
  return best?.path;
}

/** A PositionStore held in memory (dry runs, `test-filter`, tests). */
export class MemoryPositionStore implements PositionStore {
  readonly map = new Map<string, FilePosition>();
  get(path: string): FilePosition | undefined {
    return this.map.get(path);
  }
  set(path: string, pos: FilePosition): void {
    this.map.set(path, pos);
  }
}
