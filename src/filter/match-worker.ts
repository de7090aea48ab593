/**
 * The worker-thread side of a GuardedFilter (src/filter/guarded.ts): compiles
 * the same filter definition and matches the lines it is sent, one batch at a
 * time. After each line it bumps a shared counter, so the main thread's
 * watchdog sees a line that runs past its budget (catastrophic backtracking in
 * a regex V8's linear engine cannot take over) and terminates this thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { RawSection } from '../config/types.js';
import type { Line } from '../core/records.js';
import { compileFilter, type FilterHit } from './filter.js';
import type { UseDns } from './tags.js';

/** What the worker is started with. */
export interface MatchWorkerData {
  readonly def: RawSection;
  readonly logtimezone?: string;
  readonly usedns?: UseDns;
  /** Int32Array over a SharedArrayBuffer: [0] = lines finished since this worker started. */
  readonly progress: SharedArrayBuffer;
}

/** A batch of lines, with the main thread's clock at sending. */
export interface MatchBatch { readonly seq: number; readonly now: number; readonly lines: readonly Line[] }

/** The answer to a batch: every hit of its lines, in order. */
export interface MatchDone { readonly seq: number; readonly hits: readonly FilterHit[] }

if (parentPort !== null) {
  const port = parentPort;
  const data = workerData as MatchWorkerData;
  const progress = new Int32Array(data.progress);
  let now = Date.now();
  const filter = compileFilter(data.def, {
    clock: { now: () => now },
    ...(data.logtimezone === undefined ? {} : { logtimezone: data.logtimezone }),
    usedns: data.usedns ?? 'no',
  });
  port.postMessage('ready');
  port.on('message', (batch: MatchBatch) => {
    now = batch.now;
    const hits: FilterHit[] = [];
    for (const line of batch.lines) {
      for (const h of filter.feed(line)) hits.push(h);
      Atomics.add(progress, 0, 1);
    }
    port.postMessage({ seq: batch.seq, hits } satisfies MatchDone);
  });
}
