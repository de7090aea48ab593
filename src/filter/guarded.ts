/**
 * A filter whose regexes V8's linear-time engine cannot take over (a lookaround,
 * a back-reference, an atomic group): one crafted line could backtrack for hours
 * and freeze the daemon's event loop. Such a filter matches in a worker thread
 * (src/filter/match-worker.ts) under a watchdog: a line still running after
 * LIMITS.matchWatchdogMs is abandoned (counted, reported to the sink),
 * the worker is terminated and restarted, and the lines after it go on. Hits
 * arrive later, through the sink given to `deliver`. Filters whose regexes are
 * all linear-engine safe never come here (they match inline, on the fast path).
 */
import { Worker } from 'node:worker_threads';
import type { RawSection } from '../config/types.js';
import type { Clock } from '../core/clock.js';
import { LIMITS } from '../core/defaults.js';
import type { Line } from '../core/records.js';
import type { AbandonedLine, CompiledFilter, DeferredSink, Filter, FilterHit } from './filter.js';
import type { MatchBatch, MatchDone, MatchWorkerData } from './match-worker.js';
import type { UseDns } from './tags.js';

/** Lines sent to the worker in one message at most. */
const BATCH_LINES = 10_000;

/** What a guarded filter needs besides the definition. */
export interface GuardOptions {
  readonly clock: Clock;
  readonly logtimezone?: string;
  readonly usedns?: UseDns;
  /** How long one line may run (ms); default LIMITS.matchWatchdogMs. */
  readonly budgetMs?: number;
}

const EMPTY: FilterHit[] = [];

/** A filter matching off the main thread with a watchdog. */
export class GuardedFilter implements Filter {
  readonly journalmatch: readonly string[];
  /** Lines abandoned (over budget, dropped from a full queue, or lost with a failed worker). */
  abandoned = 0;
  private worker: Worker | null = null;
  private progress: Int32Array<ArrayBufferLike> = new Int32Array(0);
  private ready = false;
  private readonly queue: Line[] = [];
  private inFlight: { readonly seq: number; readonly lines: readonly Line[]; readonly base: number } | null = null;
  private seq = 0;
  private lastSeen = -1;
  private watchdog: NodeJS.Timeout | null = null;
  private kickPending = false;
  private closed = false;
  private sink: DeferredSink = { hits: () => undefined, abandoned: () => undefined };

  constructor(private readonly def: RawSection, compiled: CompiledFilter, private readonly options: GuardOptions) {
    this.journalmatch = compiled.journalmatch;
  }

  /** Queues the line for the worker; its hits come through `deliver`'s sink. */
  feed(line: Line): FilterHit[] {
    if (this.closed) return EMPTY;
    if (this.queue.length >= LIMITS.guardedQueueLines) {
      this.abandon('queue-full', line.source);
      return EMPTY;
    }
    this.queue.push(line);
    if (!this.kickPending) {
      this.kickPending = true;
      setImmediate(() => { this.kickPending = false; this.kick(); });
    }
    return EMPTY;
  }

  /** Where hits and abandoned lines go (the jail's pipeline). */
  deliver(sink: DeferredSink): void {
    this.sink = sink;
  }

  /** Lines waiting or being matched. */
  get pending(): number {
    return this.queue.length + (this.inFlight?.lines.length ?? 0);
  }

  /** Stops the worker; queued lines are dropped. */
  close(): void {
    this.closed = true;
    this.queue.length = 0;
    this.stopWorker();
  }

  private start(): void {
    const shared = new SharedArrayBuffer(4);
    this.progress = new Int32Array(shared);
    this.ready = false;
    const data: MatchWorkerData = {
      def: this.def, progress: shared,
      ...(this.options.logtimezone === undefined ? {} : { logtimezone: this.options.logtimezone }),
      ...(this.options.usedns === undefined ? {} : { usedns: this.options.usedns }),
    };
    const w = new Worker(new URL('./match-worker.js', import.meta.url), { workerData: data });
    w.unref();
    w.on('message', (m: MatchDone | 'ready') => {
      if (w !== this.worker) return;
      if (m === 'ready') { this.ready = true; this.kick(); return; }
      if (m.seq !== this.inFlight?.seq) return;
      this.inFlight = null;
      this.stopWatchdog();
      if (m.hits.length > 0) this.sink.hits(m.hits);
      this.kick();
    });
    w.on('error', (err) => { if (w === this.worker) this.restart('worker-error', err.message); });
    this.worker = w;
  }

  private kick(): void {
    if (this.closed || this.inFlight !== null || this.queue.length === 0) return;
    if (this.worker === null) this.start();
    if (!this.ready) return;
    const lines = this.queue.splice(0, BATCH_LINES);
    const base = Atomics.load(this.progress, 0);
    this.inFlight = { seq: ++this.seq, lines, base };
    this.lastSeen = base;
    this.worker!.postMessage({ seq: this.seq, now: this.options.clock.now(), lines } satisfies MatchBatch);
    const budget = this.options.budgetMs ?? LIMITS.matchWatchdogMs;
    this.watchdog ??= setInterval(() => this.check(), budget);
    this.watchdog.unref();
  }

  /** Runs every budget while a batch is out: no line finished since the last check means one ran over. */
  private check(): void {
    if (this.inFlight === null) return;
    const done = Atomics.load(this.progress, 0);
    if (done !== this.lastSeen) { this.lastSeen = done; return; }
    this.restart('timeout');
  }

  /** Abandons the line being matched, restarts the worker and requeues the lines after it. */
  private restart(kind: 'timeout' | 'worker-error', detail?: string): void {
    const batch = this.inFlight;
    this.inFlight = null;
    this.stopWorker();
    if (batch !== null) {
      const at = Math.max(0, Atomics.load(this.progress, 0) - batch.base);
      const stuck = batch.lines[at];
      this.queue.unshift(...batch.lines.slice(at + 1));
      if (stuck !== undefined) this.abandon(kind, stuck.source, detail);
    }
    this.kick();
  }

  private abandon(kind: AbandonedLine['kind'], source: string, detail?: string): void {
    this.abandoned++;
    this.sink.abandoned({ kind, count: this.abandoned, source, ...(detail === undefined ? {} : { detail }) });
  }

  private stopWorker(): void {
    this.stopWatchdog();
    const w = this.worker;
    this.worker = null;
    this.ready = false;
    if (w !== null) void w.terminate();
  }

  private stopWatchdog(): void {
    if (this.watchdog !== null) clearInterval(this.watchdog);
    this.watchdog = null;
  }
}
