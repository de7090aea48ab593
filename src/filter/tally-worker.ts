/**
 * The worker-thread side of a split `test-filter` run (src/filter/tally-split.ts):
 * compiles the same filter, tallies its byte range of the log, and answers with the
 * tally (its hits cut to what the report shows), the filter's counters and what a fresh date detector found on the range's
 * first line (so the main thread can tell whether its own state would have led to
 * the same).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { systemClock } from '../core/clock.js';
import { compileFilter } from './filter.js';
import { sentTally, tallyRange, type RangeJob, type RangeTally } from './tally-split.js';

if (parentPort !== null) {
  const job = workerData as RangeJob;
  const filter = compileFilter(job.def, { clock: systemClock, ...job.options });
  const r = tallyRange(filter, systemClock, job);
  parentPort.postMessage({ ...r, tally: sentTally(r.tally, job) } satisfies RangeTally);
}
