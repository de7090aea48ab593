/** Temporary config directories with real files, for the config and jail tests. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { onCleanup } from './cleanup.js';

/** A temp directory; `write` creates files (and parent dirs), `remove` deletes it all. */
export interface TempConfigDir {
  readonly dir: string;
  /** Writes `text` to `dir/rel` and returns the absolute path. */
  write(rel: string, text: string): string;
  remove(): void;
}

/** Creates a temp config dir, optionally with files (relative path → text). */
export function tempConfigDir(files: Readonly<Record<string, string>> = {}): TempConfigDir {
  const dir = mkdtempSync(join(tmpdir(), 'f2b-fw-config-'));
  const write = (rel: string, text: string): string => {
    const path = join(dir, rel);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
    return path;
  };
  for (const [rel, text] of Object.entries(files)) write(rel, text);
  const remove = onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  return { dir, write, remove };
}
