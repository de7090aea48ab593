/**
 * Helpers for log-source tests: a temp dir, a collector of lines and errors, a
 * PositionStore backed by a JSON file, and short timings so rotation and retries
 * show up within a test's bounded waits.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Line } from '../../src/core/records.js';
import type { FilePosition, LogSource, PositionStore, SourceDeps } from '../../src/sources/source.js';
import type { FileSource } from '../../src/sources/file-source.js';
import { waitFor } from './netns.js';
import { TEST_TUNING } from './source-tuning.js';

export { TEST_TUNING } from './source-tuning.js';

/** A fresh temp dir (removed by `cleanup`). */
export function tempDir(label: string): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), `f2bt-src-${label}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A PositionStore persisted as one JSON file, as a daemon restart would see it. */
export class JsonFilePositionStore implements PositionStore {
  constructor(readonly file: string) {}
  private load(): Record<string, FilePosition> {
    return existsSync(this.file) ? (JSON.parse(readFileSync(this.file, 'utf8')) as Record<string, FilePosition>) : {};
  }
  get(path: string): FilePosition | undefined {
    return this.load()[path];
  }
  set(path: string, pos: FilePosition): void {
    writeFileSync(this.file, JSON.stringify({ ...this.load(), [path]: pos }));
  }
}

/** Everything a source handed out, and the deps to give it. */
export class Collector {
  readonly lines: Line[] = [];
  readonly errors: { err: Error; source: string }[] = [];
  readonly clock = { now: () => 1_700_000_000_000 };

  /** Deps for createSources with this collector and the given store. */
  deps(positions: PositionStore, extra: Partial<SourceDeps> = {}): SourceDeps {
    return {
      clock: this.clock,
      positions,
      onLine: (line) => this.lines.push(line),
      onError: (err, source) => this.errors.push({ err, source }),
      tuning: TEST_TUNING,
      ...extra,
    };
  }

  /** Texts of the lines received (optionally only from one source path). */
  texts(source?: string): string[] {
    return this.lines.filter((l) => source === undefined || l.source === source).map((l) => l.text);
  }

  /** Waits (bounded) until `n` lines arrived; returns whether they did. */
  async waitLines(n: number, timeoutMs = 8000): Promise<boolean> {
    return waitFor(() => this.lines.length >= n, timeoutMs, 20);
  }

  /** Waits (bounded) until an error mentioning `text` arrived. */
  async waitError(text: string, timeoutMs = 8000): Promise<boolean> {
    return waitFor(() => this.errors.some((e) => e.err.message.includes(text)), timeoutMs, 20);
  }
}

/** `count` numbered lines `prefix-0` … as file text with newlines. */
export function numbered(prefix: string, count: number, from = 0): string {
  let s = '';
  for (let i = from; i < from + count; i++) s += `${prefix}-${i}\n`;
  return s;
}

/** Resolves after `ms` (only to let a file stay quiet, never as the thing a test waits for). */
export function pause(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Resolves once a file source has polled every file now and handed out what they hold
 * (FileSource.checkNow): after it, a line that has not arrived is not coming from what was written.
 */
export function checked(src: LogSource): Promise<void> {
  return (src as FileSource).checkNow();
}
