/**
 * inotify through node's fs.watch on directories (not files), so renames, new
 * files and deletions are seen as well as writes. A directory whose watch cannot
 * be set up (missing, inotify limits, file systems without inotify) is left to
 * polling and tried again on the next `sync`.
 */
import { watch, statSync, type FSWatcher } from 'node:fs';

/** Called for every event in a watched directory; `name` is null when the kernel did not say. */
export type DirEventHandler = (dir: string, name: string | null, kind: 'rename' | 'change') => void;

interface Watched {
  readonly watcher: FSWatcher;
  readonly ino: number;
}

/** The set of watched directories of one source. */
export class DirWatchSet {
  private readonly watched = new Map<string, Watched>();
  private readonly unwatched = new Set<string>();

  /** `onWatchError` hears why a directory is polled instead (except a missing directory). */
  constructor(
    private readonly onEvent: DirEventHandler,
    private readonly onWatchError: (dir: string, err: Error) => void,
  ) {}

  /** True when `dir` has a live watch (else its files must be polled). */
  has(dir: string): boolean {
    return this.watched.has(dir);
  }

  /** True when every wanted directory has a live watch. */
  get watchesAll(): boolean {
    return this.unwatched.size === 0;
  }

  /**
   * Makes the watched set equal to `dirs`: drops watches no longer needed, re-creates
   * watches whose directory was replaced or removed, and retries failed ones.
   * True when a watch was set up that did not exist before.
   */
  sync(dirs: Iterable<string>): boolean {
    let added = false;
    const want = new Set(dirs);
    for (const dir of [...this.watched.keys()]) if (!want.has(dir)) this.drop(dir);
    for (const dir of [...this.unwatched]) if (!want.has(dir)) this.unwatched.delete(dir);
    for (const dir of want) {
      const w = this.watched.get(dir);
      if (w !== undefined && inode(dir) === w.ino) continue;
      if (w !== undefined) this.drop(dir);
      added = this.add(dir) || added;
    }
    return added;
  }

  /** Closes every watch. */
  close(): void {
    for (const dir of [...this.watched.keys()]) this.drop(dir);
    this.unwatched.clear();
  }

  private add(dir: string): boolean {
    const ino = inode(dir);
    try {
      if (ino === undefined) throw Object.assign(new Error(`${dir}: no such directory`), { code: 'ENOENT' });
      const watcher = watch(dir, { persistent: true, encoding: 'utf8' }, (kind, name) =>
        this.onEvent(dir, name ?? null, kind === 'rename' ? 'rename' : 'change'),
      );
      watcher.on('error', (err) => {
        this.drop(dir);
        this.unwatched.add(dir);
        this.onWatchError(dir, err);
      });
      this.watched.set(dir, { watcher, ino });
      this.unwatched.delete(dir);
      return true;
    } catch (err) {
      const wasUnwatched = this.unwatched.has(dir);
      this.unwatched.add(dir);
      if (!wasUnwatched && (err as NodeJS.ErrnoException).code !== 'ENOENT') this.onWatchError(dir, err as Error);
      return false;
    }
  }

  private drop(dir: string): void {
    this.watched.get(dir)?.watcher.close();
    this.watched.delete(dir);
  }
}

function inode(dir: string): number | undefined {
  try {
    const st = statSync(dir);
    return st.isDirectory() ? st.ino : undefined;
  } catch {
    return undefined;
  }
}
