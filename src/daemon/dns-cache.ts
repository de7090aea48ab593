/**
 * Host names from log lines (`usedns = yes|warn`) become addresses through a
 * bounded cache filled in the background. The filter is synchronous and a log
 * is written by attackers, so a line never waits for DNS: a name not cached
 * yet starts a lookup (at most DNS_DEFAULTS.maxInFlight at once, each cut off
 * after timeoutMs) and its failure is dropped; once the answer is cached the
 * name's failures count. Answers live ttlMs (then served while refreshed),
 * failures negativeTtlMs; at most maxEntries names are kept.
 */
import { promises as dns } from 'node:dns';
import type { Clock } from '../core/clock.js';
import { DNS_DEFAULTS } from '../core/defaults.js';

/** Looks a name up; resolves to its addresses (the system resolver: /etc/hosts, then DNS). */
export type NameLookup = (name: string) => Promise<readonly string[]>;

/** The system resolver through getaddrinfo, so /etc/hosts and nsswitch apply. */
export const systemLookup: NameLookup = async (name) => (await dns.lookup(name, { all: true, verbatim: true })).map((a) => a.address);

/** What `get` knows about a name. */
export type DnsAnswer =
  | { readonly state: 'resolved'; readonly addrs: readonly string[] }
  | { readonly state: 'failed' }
  /** Not known yet: `started` when this call started the lookup, `busy` when too many run (not started). */
  | { readonly state: 'pending' | 'started' | 'busy' };

/** Timings and sizes (DNS_DEFAULTS), the lookup and a report of failed lookups, passed in. */
export interface DnsCacheOptions {
  readonly clock: Clock;
  readonly lookup?: NameLookup;
  readonly tuning?: Partial<{ -readonly [K in keyof typeof DNS_DEFAULTS]: number }>;
  /** A lookup failed or timed out (for a log line). */
  onFailed?(name: string, reason: string): void;
}

interface Entry { addrs: readonly string[] | null; until: number; refreshing: boolean }

/** The cache; one per daemon, shared by all jails. */
export class DnsCache {
  private readonly entries = new Map<string, Entry>();
  private readonly tuning: { -readonly [K in keyof typeof DNS_DEFAULTS]: number };
  private readonly lookup: NameLookup;
  private inFlight = 0;

  constructor(private readonly options: DnsCacheOptions) {
    this.tuning = { ...DNS_DEFAULTS, ...options.tuning };
    this.lookup = options.lookup ?? systemLookup;
  }

  /** Never waits: the cached answer, or the state of its lookup (started here if needed and allowed). */
  get(name: string): DnsAnswer {
    const key = name.toLowerCase();
    const e = this.entries.get(key);
    const now = this.options.clock.now();
    const free = this.inFlight < this.tuning.maxInFlight;
    if (e?.addrs) {
      if (e.until <= now && !e.refreshing && free) this.start(key, e);
      return { state: 'resolved', addrs: e.addrs };
    }
    if (e?.refreshing) return { state: 'pending' };
    if (e !== undefined && e.until > now) return { state: 'failed' };
    if (!free) return { state: 'busy' };
    const entry: Entry = e ?? { addrs: null, until: 0, refreshing: false };
    this.remember(key, entry);
    this.start(key, entry);
    return { state: 'started' };
  }

  /** Names currently remembered (resolved, failed or being looked up). */
  get size(): number {
    return this.entries.size;
  }

  private remember(key: string, entry: Entry): void {
    this.entries.delete(key);
    if (this.entries.size >= this.tuning.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, entry);
  }

  private start(key: string, entry: Entry): void {
    entry.refreshing = true;
    this.inFlight++;
    let timer: NodeJS.Timeout | undefined;
    const lookup = this.lookup(key);
    // The slot is freed when the lookup really ends, not at the timeout: getaddrinfo keeps its thread busy.
    lookup.then(() => this.inFlight--, () => this.inFlight--);
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${this.tuning.timeoutMs} ms`)), this.tuning.timeoutMs);
      timer.unref();
    });
    Promise.race([lookup, timeout]).then(
      (addrs) => {
        entry.addrs = addrs.length > 0 ? [...addrs] : null;
        entry.until = this.options.clock.now() + (addrs.length > 0 ? this.tuning.ttlMs : this.tuning.negativeTtlMs);
        if (addrs.length === 0) this.options.onFailed?.(key, 'no addresses');
      },
      (e: Error) => {
        // A refresh that fails keeps the old answer until the next try.
        if (entry.addrs === null) this.options.onFailed?.(key, (e as NodeJS.ErrnoException).code ?? e.message);
        entry.until = this.options.clock.now() + this.tuning.negativeTtlMs;
      },
    ).finally(() => {
      clearTimeout(timer);
      entry.refreshing = false;
    });
  }
}
