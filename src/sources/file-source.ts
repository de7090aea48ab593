/**
 * The file side of a jail's logs: expands the `logpath` patterns, follows every
 * matching file, watches the directories (inotify) or polls, and picks up new
 * files that match. All reading of one source is serialised through one queue,
 * so one chunk buffer serves every file and a slow file never runs two reads at once.
 */
import { dirname, join } from 'node:path';
import type { LogSource, SourceDeps, SourceTuning } from './source.js';
import { resolveTuning, startInterval } from './source.js';
import { systemClock, systemTimers, type Clock, type Timers } from '../core/clock.js';
import { LIMITS } from '../core/defaults.js';
import { STAGE } from '../core/trace.js';
import { SourceError, sourceErrorFrom } from './errors.js';
import { DirWatchSet } from './dir-watch.js';
import { FileFollower, type FollowerEnv } from './file-follower.js';
import { expandGlob, hasMagic, segmentMatches, segmentRegExp } from './glob.js';

/** How many rotated-away files are remembered for `claim`. */
const RETIRED_KEPT = 256;

interface Pattern {
  readonly text: string;
  /** Last segment as a matcher, to tell which created names may be new matches. */
  readonly last: { readonly text: string; readonly re: RegExp } | null;
}

/** Follows the files named by a list of paths and glob patterns. */
export class FileSource implements LogSource {
  readonly name: string;
  private readonly patterns: readonly Pattern[];
  private readonly tuning: SourceTuning;
  private readonly env: FollowerEnv;
  private readonly followers = new Map<string, FileFollower>();
  private readonly watches: DirWatchSet | null;
  /** Followers waiting for a check; the flag says whether the check is a mere poll tick. */
  private readonly pending = new Map<FileFollower, boolean>();
  private readonly timers = new Map<FileFollower, unknown>();
  private readonly delays: Clock & Timers;
  /** Rotated-away files read to their end, by `dev:ino`, so a glob matching them later does not read them twice. */
  private readonly retired = new Map<string, { offset: number; hash: string }>();
  /** Directories holding candidates for a wildcard directory segment: a new entry there means a rescan. */
  private parents = new Set<string>();
  /** The listing problems last reported per pattern. */
  private readonly listingFailures = new Map<string, string>();
  private rescanWanted = false;
  private pump: Promise<void> | null = null;
  private stopTicker: (() => void) | null = null;
  private ticks = 0;
  private stopped = false;

  constructor(logpath: readonly string[], backend: 'auto' | 'polling' | 'inotify', private readonly deps: SourceDeps) {
    this.name = `files:${logpath.join(',')}`;
    this.tuning = resolveTuning(deps.tuning);
    this.delays = deps.delays ?? { ...systemClock, ...systemTimers };
    this.patterns = logpath.map((text) => {
      const base = text.slice(text.lastIndexOf('/') + 1);
      return { text, last: hasMagic(base) ? { text: base, re: segmentRegExp(base) } : null };
    });
    this.env = {
      clock: deps.clock,
      delays: this.delays,
      lineBytes: LIMITS.lineBytes,
      chunk: Buffer.allocUnsafe(this.tuning.readChunkBytes),
      onLine: (line) => deps.onLine(line),
      onError: (err, source) => deps.onError(err, source),
      ...(deps.tracer === undefined ? {} : { tracer: deps.tracer }),
      ...(deps.room ? { room: deps.room } : {}),
      positions: deps.positions,
      rotationGraceMs: this.tuning.rotationGraceMs,
      retryMinMs: this.tuning.retryMinMs,
      retryMaxMs: this.tuning.retryMaxMs,
      schedule: (f, ms) => this.schedule(f, ms),
      claim: (claimant, dev, ino, hash, size) => this.claim(claimant, dev, ino, hash, size),
      followed: (path) => this.followers.has(path),
      retire: (dev, ino, offset, hash) => {
        this.retired.set(`${dev}:${ino}`, { offset, hash });
        if (this.retired.size > RETIRED_KEPT) this.retired.delete(this.retired.keys().next().value!);
      },
    };
    this.watches = backend === 'polling' ? null : new DirWatchSet(
      (dir, name, kind) => this.onDirEvent(dir, name, kind),
      (dir, err) => {
        if (backend === 'inotify') deps.onError(new SourceError(dir, `inotify watch failed, polling instead: ${err.message}`, { cause: err }), dir);
      },
    );
  }

  /** Expands the patterns, opens every file (at its saved position or its end) and starts following. */
  async start(): Promise<void> {
    this.pump = this.rescan(true).then(() => this.runPending());
    await this.settle();
    if (this.stopped) return;
    this.stopTicker = (this.deps.startInterval ?? startInterval)(() => this.tick(), this.tuning.pollMs);
  }

  /**
   * Polls now: every file and pattern is checked as on a full poll tick, and the promise resolves
   * once that check and the reads it started are done, so whatever the files held by then has been
   * handed out. Tests wait on this instead of a while when they assert that nothing more comes.
   */
  async checkNow(): Promise<void> {
    for (const f of this.followers.values()) this.mark(f, true);
    this.rescanWanted = true;
    this.kick();
    while (this.pump !== null) await this.pump.catch(() => undefined);
  }

  /**
   * Stops watching and polling, reads what is left, saves positions, closes files. Also when a
   * start or a rescan is still in flight: nothing it would set up after this call (a watch, the
   * ticker, a retry timer) outlives it, so a stopped source never keeps the process alive.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    this.stopTicker?.();
    this.stopTicker = null;
    for (const t of this.timers.values()) this.delays.clearTimeout(t);
    this.timers.clear();
    this.watches?.close();
    await this.pump?.catch(() => undefined);
    for (const f of this.followers.values()) await f.close();
    this.followers.clear();
  }

  /** Reports a directory a glob cannot list, once per pattern and problem; forgets it once listable. */
  private reportListing(pattern: string, failed: ReadonlyMap<string, Error>): void {
    const problems = [...failed].map(([dir, err]) => sourceErrorFrom(dir, err));
    const key = problems.map((e) => e.message).join('\n');
    if (key !== '' && this.listingFailures.get(pattern) !== key) {
      for (const e of problems) this.deps.onError(e, pattern);
    }
    if (key === '') this.listingFailures.delete(pattern);
    else this.listingFailures.set(pattern, key);
  }

  private claim(claimant: FileFollower, dev: number, ino: number, hash: string, size: number): number | 'busy' | undefined {
    for (const f of this.followers.values()) {
      if (f === claimant) continue;
      const found = f.release(dev, ino);
      if (found !== undefined) return found;
    }
    // A rotated copy (copytruncate: `app.log.1`, `app.log-20261121` next to `app.log`) with the
    // first line of a file we read: go on from where we are instead of reading it twice.
    for (const f of this.followers.values()) {
      if (f === claimant || dirname(f.path) !== dirname(claimant.path) || !claimant.path.startsWith(f.path)) continue;
      const at = f.copyOffset(hash);
      if (at !== undefined) return Math.min(at, size);
    }
    const key = `${dev}:${ino}`;
    const old = this.retired.get(key);
    // The same inode number with another first line or a shorter size is a new file.
    if (old === undefined || old.hash !== hash || size < old.offset) return undefined;
    this.retired.delete(key);
    return old.offset;
  }

  private tick(): void {
    this.ticks++;
    const full = this.watches === null || this.ticks % Math.max(1, Math.round(this.tuning.safetyPollMs / this.tuning.pollMs)) === 0;
    for (const f of this.followers.values()) {
      if (full || !this.watches!.has(dirname(f.path))) this.mark(f, true);
    }
    // With inotify, new files show up as events; a rescan on every tick is only needed for
    // directories without a watch (and, on full ticks, for directories matched by a wildcard).
    if (full || !this.watches!.watchesAll) this.rescanWanted = true;
    this.kick();
  }

  private onDirEvent(dir: string, name: string | null, kind: 'rename' | 'change'): void {
    this.deps.tracer?.mark(STAGE.inotify);
    if (name === null) {
      for (const f of this.followers.values()) if (dirname(f.path) === dir) this.mark(f, false);
      this.rescanWanted = true;
      this.kick();
      return;
    }
    const f = this.followers.get(join(dir, name));
    if (f !== undefined) this.mark(f, false);
    const newMatch = this.patterns.some((p) => p.last !== null && segmentMatches(p.last.text, p.last.re, name));
    if (kind === 'rename' && (newMatch || this.parents.has(dir))) {
      this.rescanWanted = true;
      this.kick();
    }
  }

  private schedule(f: FileFollower, ms: number): void {
    if (this.stopped) return;
    this.delays.clearTimeout(this.timers.get(f));
    this.timers.set(f, this.delays.setTimeout(() => {
      this.timers.delete(f);
      this.mark(f, false);
    }, ms));
  }

  private mark(f: FileFollower, tick: boolean): void {
    if (this.stopped) return;
    this.pending.set(f, (this.pending.get(f) ?? true) && tick);
    this.kick();
  }

  private kick(): void {
    if (this.pump !== null || this.stopped) return;
    this.pump = this.runPending();
    void this.settle();
  }

  /** Waits for the running pump, then starts another if work arrived meanwhile. */
  private async settle(): Promise<void> {
    try {
      await this.pump;
    } catch (err) {
      this.deps.onError(err as Error, this.name);
    } finally {
      this.pump = null;
    }
    if (!this.stopped && (this.pending.size > 0 || this.rescanWanted)) this.kick();
  }

  private async runPending(): Promise<void> {
    while (!this.stopped && (this.pending.size > 0 || this.rescanWanted)) {
      if (this.rescanWanted) {
        this.rescanWanted = false;
        await this.rescan(false);
      }
      for (const [f, tick] of [...this.pending]) {
        this.pending.delete(f);
        if (this.followers.get(f.path) === f) await f.check(tick);
      }
    }
  }

  /** Expands every pattern; adds followers for new files, drops finished ones, syncs the watches. */
  private async rescan(initial: boolean): Promise<void> {
    const dirs = new Set<string>();
    const seen = new Set<string>();
    // The parents of the last expansion stay in force until this one is done: an event in one of
    // them while the expansion awaits must still ask for another rescan, not be dropped.
    const found = new Set<string>();
    for (const p of this.patterns) {
      const { dirs: ds, files, parents, failed } = await expandGlob(p.text);
      this.reportListing(p.text, failed);
      for (const d of ds) dirs.add(d);
      for (const d of parents) {
        dirs.add(d);
        found.add(d);
      }
      for (const file of files) {
        seen.add(file);
        if (this.followers.has(file)) continue;
        const f = new FileFollower(file, !hasMagic(p.text), initial, this.env);
        this.followers.set(file, f);
        this.pending.set(f, false);
      }
    }
    this.parents = found;
    for (const [path, f] of this.followers) {
      if (!seen.has(path) && f.finished) {
        this.followers.delete(path);
        this.delays.clearTimeout(this.timers.get(f));
        this.timers.delete(f);
        await f.close();
      } else if (!seen.has(path) && !f.failing) this.pending.set(f, this.pending.get(f) ?? false);
    }
    // A directory watched only from now on may have got files between the expansion and
    // the watch: expand once more. A source stopped meanwhile watches nothing more.
    if (this.stopped) return;
    if (this.watches?.sync(dirs) === true) this.rescanWanted = true;
  }
}
