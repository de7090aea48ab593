/**
 * The pid file: written at start, removed at stop. A pid file whose process
 * still runs means another instance uses these paths: refused.
 */
import { mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { EnvironmentError } from '../core/errors.js';

/** True when a process with this pid exists (EPERM: it exists, owned by another user). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Writes our pid to `path`; throws EnvironmentError when a live process holds it. */
export function writePidFile(path: string): void {
  try {
    const old = Number(readFileSync(path, 'utf8').trim());
    if (Number.isInteger(old) && old > 0 && old !== process.pid && alive(old)) {
      throw new EnvironmentError(`another f2b-fw (pid ${old}) runs with pid file ${path}; stop it or choose other paths (--pidfile, --socket, --db)`);
    }
  } catch (e) {
    if (e instanceof EnvironmentError) throw e;
  }
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${process.pid}\n`);
}

/** Removes the pid file if it is still ours. */
export function removePidFile(path: string): void {
  try {
    if (Number(readFileSync(path, 'utf8').trim()) === process.pid) unlinkSync(path);
  } catch {
    /* already gone */
  }
}
