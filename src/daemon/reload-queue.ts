/**
 * Reload requests, serialised and coalesced: at most one reload runs, and
 * every request arriving meanwhile joins the single one waiting behind it
 * (6 concurrent `f2b-fw reload` or 50 SIGHUPs make two reloads, never six
 * readers of one file). Requests for single jails merge into one request for
 * those jails; a full reload absorbs them. Once closed (stopping), waiting
 * requests are refused and close() resolves when the running one is done.
 */
import { F2bError } from '../core/errors.js';

/** Which jails to re-read: all, or these names. */
export type ReloadScope = 'all' | ReadonlySet<string>;

/** Runs one reload of a scope. */
export type ReloadRunner<T> = (scope: ReloadScope) => Promise<T>;

interface Waiting<T> {
  scope: ReloadScope;
  readonly promise: Promise<T>;
  resolve(value: T): void;
  reject(err: unknown): void;
}

/** The queue; `run` does the actual reload. */
export class ReloadQueue<T> {
  private running: Promise<void> | null = null;
  private waiting: Waiting<T> | null = null;
  private closed = false;

  constructor(private readonly run: ReloadRunner<T>) {}

  /** Asks for a reload of `scope`; resolves with the result of the reload that covered it. */
  request(scope: ReloadScope): Promise<T> {
    if (this.closed) return Promise.reject(stopping());
    if (this.waiting) {
      this.waiting.scope = merge(this.waiting.scope, scope);
      return this.waiting.promise;
    }
    let resolve!: (v: T) => void;
    let reject!: (e: unknown) => void;
    const promise = new Promise<T>((res, rej) => { resolve = res; reject = rej; });
    this.waiting = { scope, promise, resolve, reject };
    if (!this.running) this.next();
    return promise;
  }

  private next(): void {
    const w = this.waiting;
    this.waiting = null;
    if (!w) {
      this.running = null;
      return;
    }
    this.running = this.run(w.scope).then(w.resolve, w.reject).then(() => {
      if (this.closed) this.refuseWaiting();
      this.next();
    });
  }

  /** Refuses new and waiting requests; resolves once the running reload has finished. */
  async close(): Promise<void> {
    this.closed = true;
    this.refuseWaiting();
    await this.running;
  }

  private refuseWaiting(): void {
    const w = this.waiting;
    this.waiting = null;
    w?.reject(stopping());
  }
}

function merge(a: ReloadScope, b: ReloadScope): ReloadScope {
  if (a === 'all' || b === 'all') return 'all';
  return new Set([...a, ...b]);
}

function stopping(): F2bError {
  return new F2bError('stopping', 'the daemon is stopping; reload not done');
}
