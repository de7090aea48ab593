/**
 * A small real tmpfs for store-failure tests: mounted on a fresh temp dir,
 * filled up to make SQLite see a full disk, remounted read-only, and always
 * unmounted (test `finally`, or the cleanup registry if the runner dies).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onCleanup } from './cleanup.js';

/** A mounted tmpfs of a given size. */
export class Tmpfs {
  readonly dir: string;
  private readonly release: () => void;

  private constructor(dir: string, release: () => void) {
    this.dir = dir;
    this.release = release;
  }

  /** Mounts a tmpfs of `size` (mount(8) syntax, e.g. `2m`) on a new temp dir. */
  static mount(size: string): Tmpfs {
    const dir = mkdtempSync(join(tmpdir(), 'f2b-fw-tmpfs-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0755`, 'f2bt-tmpfs', dir]);
    const release = onCleanup(() => {
      try { execFileSync('umount', ['-l', dir], { stdio: 'ignore' }); } catch { /* not mounted */ }
      rmSync(dir, { recursive: true, force: true });
    });
    return new Tmpfs(dir, release);
  }

  /** A path on the tmpfs. */
  path(rel: string): string {
    return join(this.dir, rel);
  }

  /** Writes a filler file until the file system is full. */
  fill(): void {
    const chunk = Buffer.alloc(64 * 1024, 0x5a);
    const file = this.path('filler');
    writeFileSync(file, '');
    for (;;) {
      try {
        writeFileSync(file, chunk, { flag: 'a' });
      } catch {
        break;
      }
    }
    // The last partial block too.
    for (;;) {
      try { writeFileSync(file, 'x', { flag: 'a' }); } catch { break; }
    }
  }

  /** Frees what `fill` took. */
  drain(): void {
    try { unlinkSync(this.path('filler')); } catch { /* not filled */ }
  }

  /**
   * Remounts read-only (`true`) or read-write (`false`). A process that entered
   * its own mount namespace (`ip netns exec`) while the mount was read-only keeps
   * a read-only copy of the mount: pass its pid to remount that copy too.
   */
  readOnly(on: boolean, alsoIn?: number): void {
    execFileSync('mount', ['-o', `remount,${on ? 'ro' : 'rw'}`, this.dir]);
    if (alsoIn !== undefined) execFileSync('nsenter', ['-m', '-t', String(alsoIn), 'mount', '-o', `remount,${on ? 'ro' : 'rw'}`, this.dir]);
  }

  /** Unmounts and removes the dir. */
  unmount(): void {
    this.release();
  }
}
