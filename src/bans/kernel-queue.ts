/**
 * The one queue every kernel change goes through (bans, unbans, reconciles,
 * repairs, on_stop flush): each runs after every earlier one has settled, so
 * the kernel sees changes in the order the store recorded them and a reload's
 * reconcile never interleaves with a ban batch.
 */

/** Serialises kernel work; reports how long each piece took. */
export class KernelQueue {
  private tail: Promise<void> = Promise.resolve();
  /** Pieces queued and not settled yet. */
  private queued = 0;

  /** `onTime` is told each piece's duration in seconds (metrics). */
  constructor(private readonly onTime: (seconds: number) => void = () => undefined) {}

  /** Runs `work` after every earlier piece; its result or error is the caller's. */
  run<T>(work: () => Promise<T>): Promise<T> {
    this.queued++;
    const next = this.tail.then(async () => {
      const started = performance.now();
      try {
        return await work();
      } finally {
        this.queued--;
        this.onTime((performance.now() - started) / 1000);
      }
    });
    this.tail = next.then(() => undefined, () => undefined);
    return next;
  }

  /** True while a piece runs or waits (work queued now starts only after it). */
  get busy(): boolean {
    return this.queued > 0;
  }

  /** Resolves once everything queued so far has settled. */
  idle(): Promise<void> {
    return this.tail;
  }
}
