/**
 * Gives memory back after a big transaction (restore, repair or reload of
 * 100,000 bans): a full V8 collection of the transaction's garbage (batch
 * buffers, plan, ban records), then glibc's malloc_trim for what native code
 * freed, often in a worker thread's arena. Without it the process keeps its peak
 * size until V8's idle-time memory reducer happens to run.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { loadLibc } from '../../native/libc.js';

let collect: (() => void) | undefined;

/** Collects garbage now and trims the C heap. Never throws. */
export function compactMemory(): void {
  try {
    if (!collect) {
      setFlagsFromString('--expose-gc');
      collect = runInNewContext('gc') as () => void;
    }
    collect();
  } catch {
    /* no gc hook: V8 collects on its own schedule */
  }
  try {
    loadLibc().malloc_trim(0);
  } catch {
    /* not glibc: nothing to trim */
  }
}
