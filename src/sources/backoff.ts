/** Retry timing for failed sources: exponential backoff between a floor and a ceiling. */

/** Backoff bounds in milliseconds. */
export interface BackoffBounds {
  readonly minMs: number;
  readonly maxMs: number;
}

/** The delay after `failures` earlier failures: `minMs` doubled per failure, at most `maxMs`. */
export function backoffDelay(bounds: BackoffBounds, failures: number): number {
  return Math.min(bounds.maxMs, bounds.minMs * 2 ** Math.min(Math.max(failures, 0), 30));
}

/**
 * Doubles the delay after each failure, from `minMs` up to `maxMs`;
 * `reset()` after a success brings it back to the floor.
 */
export class Backoff {
  private failures = 0;
  constructor(private readonly bounds: BackoffBounds) {}

  /** The delay to wait before the next attempt, and counts this failure. */
  next(): number {
    const ms = backoffDelay(this.bounds, this.failures);
    this.failures++;
    return ms;
  }

  /** Failures since the last success. */
  get count(): number {
    return this.failures;
  }

  /** Forgets past failures. */
  reset(): void {
    this.failures = 0;
  }
}
