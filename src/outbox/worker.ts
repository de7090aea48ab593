/**
 * OutboxWorker: drains one outbox channel. At most `concurrency` deliveries run at once; entries of
 * one order key go one at a time and in order (the outbox hands out only heads of order). A failed
 * delivery is retried with exponential backoff up to a cap, or at the time the peer asked for
 * (Retry-After); an entry past its expiry is dropped with a log line. Nothing here throws into the
 * daemon: a deliverer that throws counts as a failed attempt, a store error is logged and the
 * worker tries again later.
 */
import type { Clock, Timers } from '../core/clock.js';
import type { Logger } from '../core/log.js';
import { backoffDelay, type BackoffBounds } from '../sources/backoff.js';
import type { Outbox, OutboxEntry } from './outbox.js';

/** What a deliverer says about one entry. */
export type Delivery =
  | { readonly kind: 'done' }
  /** Try again: at `at` (ms since the epoch; the peer's Retry-After) or after the backoff. */
  | { readonly kind: 'retry'; readonly at?: number; readonly error: string }
  /** Never deliverable (refused for good): removed with a log line. */
  | { readonly kind: 'drop'; readonly reason: string };

/** How one entry ended an attempt, for counters: delivered, failed (will retry), dropped. */
export type DeliveryOutcome = 'sent' | 'failed' | 'dropped';

/** Tuning with defaults in OUTBOX_DEFAULTS. */
export interface OutboxWorkerOptions {
  readonly outbox: Outbox;
  readonly channel: string;
  readonly deliver: (entry: OutboxEntry) => Promise<Delivery>;
  readonly clock: Clock;
  readonly timers: Timers;
  readonly log: Logger;
  /** Deliveries running at once (default OUTBOX_DEFAULTS.concurrency). */
  readonly concurrency?: number;
  /** Retry delays (default OUTBOX_DEFAULTS.backoff). */
  readonly backoff?: BackoffBounds;
  /**
   * Kick on every enqueue into the channel (default true). False: the owner kicks (the actions hub
   * waits until the kernel has a ban before its reports may go).
   */
  readonly follow?: boolean;
  /** Called after every attempt (metrics, status counters); its errors are ignored. */
  readonly onOutcome?: (entry: OutboxEntry, outcome: DeliveryOutcome, detail: string) => void;
}

/** Defaults of the worker. */
export const OUTBOX_DEFAULTS = {
  concurrency: 4,
  backoff: { minMs: 5_000, maxMs: 3_600_000 } as BackoffBounds,
  /** After a store error, the worker looks again this much later (ms). */
  storeRetryMs: 5_000,
  /** A stop with on_stop = flush waits this long for the actions' flushes (ms). */
  stopFlushMs: 10_000,
} as const;

/** Node's timers overflow past 2^31 - 1 ms (and then fire at once); a longer wait wakes early and looks again. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Drains one channel; `start()` once, `kick()` when something may be due, `stop()` at shutdown. */
export class OutboxWorker {
  private readonly inFlight = new Map<number, Promise<void>>();
  private readonly concurrency: number;
  private readonly backoff: BackoffBounds;
  private timer: unknown = null;
  private timerAt = Infinity;
  private running = false;
  private pumping = false;
  private again = false;
  private unsubscribe: (() => void) | null = null;
  private peak = 0;

  constructor(private readonly o: OutboxWorkerOptions) {
    this.concurrency = Math.max(1, Math.floor(o.concurrency ?? OUTBOX_DEFAULTS.concurrency));
    this.backoff = o.backoff ?? OUTBOX_DEFAULTS.backoff;
  }

  /** Starts draining (whatever is queued from before a restart first) and follows new enqueues. */
  start(): void {
    if (this.running) return;
    this.running = true;
    if (this.o.follow !== false) this.unsubscribe = this.o.outbox.subscribe(this.o.channel, () => this.kick());
    this.kick();
  }

  /** Looks for due entries now. */
  kick(): void {
    if (!this.running) return;
    if (this.pumping) { this.again = true; return; }
    this.pump();
  }

  /** Deliveries running right now, and the most seen at once since start. */
  get active(): { now: number; peak: number } {
    return { now: this.inFlight.size, peak: this.peak };
  }

  /** Stops taking new entries and waits for running deliveries (at most `graceMs`). */
  async stop(graceMs = 5_000): Promise<void> {
    this.running = false;
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.clearTimer();
    if (this.inFlight.size === 0) return;
    let handle: unknown;
    const grace = new Promise<void>((resolve) => { handle = this.o.timers.setTimeout(resolve, graceMs); });
    await Promise.race([Promise.allSettled([...this.inFlight.values()]), grace]);
    this.o.timers.clearTimeout(handle);
  }

  private pump(): void {
    this.pumping = true;
    try {
      do {
        this.again = false;
        this.take();
      } while (this.again && this.running);
    } finally {
      this.pumping = false;
    }
  }

  private take(): void {
    const free = this.concurrency - this.inFlight.size;
    if (free <= 0) return;
    const now = this.o.clock.now();
    let entries: OutboxEntry[];
    let next: number | null;
    try {
      // Only as many as there are free slots, the running ones left out: each entry read is one started
      // (or one expired dropped, after which the worker looks again).
      entries = this.o.outbox.due(this.o.channel, now, free, this.inFlight.keys());
      next = this.o.outbox.nextAt(this.o.channel, now);
    } catch (e) {
      this.storeError('read', e);
      return;
    }
    let expired = 0;
    for (const entry of entries) {
      if (entry.expiresAt !== null && entry.expiresAt <= now) {
        // An expired entry takes no delivery slot: dropped here, the next one gets the slot.
        this.settle(entry, { kind: 'drop', reason: `expired at ${new Date(entry.expiresAt).toISOString()} before delivery` });
        expired++;
        continue;
      }
      const run = this.attempt(entry).finally(() => {
        this.inFlight.delete(entry.id);
        this.kick();
      });
      this.inFlight.set(entry.id, run);
      this.peak = Math.max(this.peak, this.inFlight.size);
    }
    // A dropped entry may have been the head of its order key: the entry behind it (an unban) is due now.
    if (expired > 0) this.again = true;
    if (next !== null) this.wakeAt(next);
  }

  private async attempt(entry: OutboxEntry): Promise<void> {
    let result: Delivery;
    try {
      result = await this.o.deliver(entry);
    } catch (e) {
      result = { kind: 'retry', error: (e as Error)?.message ?? String(e) };
    }
    this.settle(entry, result);
  }

  private settle(entry: OutboxEntry, result: Delivery): void {
    const { channel } = this.o;
    try {
      if (result.kind === 'done') {
        this.o.outbox.done(entry.id);
        this.outcome(entry, 'sent', '');
      } else if (result.kind === 'drop') {
        this.o.outbox.drop(entry.id, result.reason);
        this.o.log.warn({ channel, key: entry.dedupeKey, attempts: entry.attempts, reason: result.reason }, `outbox ${channel}: dropped ${entry.dedupeKey}: ${result.reason}`);
        this.outcome(entry, 'dropped', result.reason);
      } else {
        const now = this.o.clock.now();
        const at = result.at !== undefined && result.at > now ? result.at : now + backoffDelay(this.backoff, entry.attempts);
        this.o.outbox.retry(entry.id, at, result.error);
        this.o.log.warn({ channel, key: entry.dedupeKey, attempts: entry.attempts + 1, retryAt: new Date(at).toISOString(), error: result.error },
          `outbox ${channel}: ${entry.dedupeKey} failed (${result.error}), retry at ${new Date(at).toISOString()}`);
        this.outcome(entry, 'failed', result.error);
        this.wakeAt(at);
      }
    } catch (e) {
      this.storeError('write', e);
    }
  }

  private outcome(entry: OutboxEntry, outcome: DeliveryOutcome, detail: string): void {
    try { this.o.onOutcome?.(entry, outcome, detail); } catch { /* counters never break delivery */ }
  }

  private storeError(what: string, e: unknown): void {
    this.o.log.error({ channel: this.o.channel, err: (e as Error)?.message ?? String(e) }, `outbox ${this.o.channel}: store ${what} failed; trying again later`);
    this.wakeAt(this.o.clock.now() + OUTBOX_DEFAULTS.storeRetryMs);
  }

  private wakeAt(at: number): void {
    if (!this.running || at >= this.timerAt) return;
    this.clearTimer();
    this.timerAt = at;
    this.timer = this.o.timers.setTimeout(() => {
      this.timer = null;
      this.timerAt = Infinity;
      this.kick();
    }, Math.min(MAX_TIMER_MS, Math.max(0, at - this.o.clock.now())));
  }

  private clearTimer(): void {
    if (this.timer !== null) this.o.timers.clearTimeout(this.timer);
    this.timer = null;
    this.timerAt = Infinity;
  }
}
