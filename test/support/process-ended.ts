import { readFileSync } from 'node:fs';

/**
 * Has process PID ended: gone, or a zombie nobody has reaped yet (killed all the same)? Reads
 * /proc/PID/stat once: a check for the file before reading it races with the process's exit (the
 * file vanishes in between: ENOENT, which made actions-run.test fail on a loaded fresh machine).
 */
export function processEnded(pid: number): boolean {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ESRCH') return true;
    throw e;
  }
  // The state follows the command name, which may itself hold spaces and parentheses.
  return /^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2));
}
