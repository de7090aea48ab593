/**
 * The counting of one jail: `maxretry` failures of an address within
 * `findtime` make a ban for `bantime` (longer for repeat offenders with
 * bantime.increment). Failures older than `findtime` by the injected clock
 * do not count (reading an old log does not ban on stale history); ignored
 * addresses (ignoreip, ignoreself) never count. The recidive jail is an
 * ordinary Jail whose filter reads f2b-fw's own `Ban` lines.
 */
import { promises as dns } from 'node:dns';
import type { Clock } from '../core/clock.js';
import type { Decision, Failure } from '../core/records.js';
import { IgnoreList, parseIgnoreEntry, type NameResolver } from './ignore.js';
import { incrementedBantime } from './increment.js';
import type { JailSettings } from './settings.js';

/** How often an address was banned before (the ban store implements it). */
export interface BanHistory {
  /** Bans of `addr` recorded so far, in `jail` or (without it) in every jail. */
  banCount(addr: string, jail?: string): number;
}

/** What a Jail needs from outside, passed in. */
export interface JailDeps {
  readonly clock: Clock;
  readonly history: BanHistory;
  /** The host's own addresses (used when ignoreself is on), e.g. hostAddresses(). */
  readonly ownAddresses: readonly string[];
  /** Looks up ignoreip host names (default: the system resolver). */
  readonly resolve?: NameResolver;
  /** Source of randomness for bantime.rndtime, in [0, 1) (default Math.random). */
  readonly random?: () => number;
}

/** One counted failure: when, and the log lines behind it. */
interface Counted {
  readonly time: number;
  readonly matches: readonly string[];
}

/** Sweep stale addresses after this many failures, so the map stays bounded by the window. */
const SWEEP_EVERY = 1024;

const systemResolve: NameResolver = async (name) => (await dns.lookup(name, { all: true })).map((a) => a.address);

/** One jail's decision logic. */
export class Jail {
  readonly settings: JailSettings;
  private readonly deps: JailDeps;
  private readonly ignore: IgnoreList;
  private readonly failures = new Map<string, Counted[]>();
  private sinceSweep = 0;
  /** Settles once ignoreip host names are looked up (at once when there are none); resolves to the names that failed. */
  readonly namesResolved: Promise<string[]>;

  constructor(settings: JailSettings, deps: JailDeps) {
    this.settings = settings;
    this.deps = deps;
    const entries = settings.ignoreip.map((w) => parseIgnoreEntry(w, { file: '(ignoreip)', section: settings.name, key: 'ignoreip', value: w }));
    this.ignore = new IgnoreList(entries, settings.ignoreself ? deps.ownAddresses : []);
    // ignoreip names come from the admin, not from a log: looked up whatever usedns says.
    this.namesResolved = this.ignore.names.length > 0
      ? this.ignore.resolveNames(deps.resolve ?? systemResolve)
      : Promise.resolve([]);
  }

  /**
   * Takes over the failures `previous` counted (a reload keeping this jail):
   * windows run on, so 2 failures + reload + 1 failure bans at maxretry 3.
   * Failures outside this jail's findtime age out at the next count.
   */
  adoptFailures(previous: Jail): void {
    for (const [addr, counted] of previous.failures) this.failures.set(addr, counted);
  }

  /** True when `addr` (address or prefix) is in ignoreip or, with ignoreself, one of the host's own. */
  isIgnored(addr: string): boolean {
    return this.ignore.has(addr);
  }

  /** Addresses with failures inside the window now (fail2ban's "Currently failed"). */
  currentlyFailed(): number {
    this.sweep();
    return this.failures.size;
  }

  /** Counts one failure; returns a ban Decision when the address reached maxretry within findtime. */
  onFailure(f: Failure): Decision | null {
    const now = this.deps.clock.now();
    const since = now - this.settings.findtime * 1000;
    if (f.time < since || this.isIgnored(f.addr)) return null;
    if (++this.sinceSweep >= SWEEP_EVERY) this.sweep();
    const kept = (this.failures.get(f.addr) ?? []).filter((c) => c.time >= since);
    // A date in the future (clock skew, a forged line) counts as now, so it ages out like the others.
    kept.push({ time: Math.min(f.time, now), matches: f.matches });
    if (kept.length < this.settings.maxretry) {
      this.failures.set(f.addr, kept);
      return null;
    }
    this.failures.delete(f.addr);
    return {
      op: 'ban',
      jail: this.settings.name,
      addr: f.addr,
      ttl: this.banTime(f.addr),
      reason: 'maxretry reached',
      matches: kept.sort((a, b) => a.time - b.time).flatMap((c) => c.matches),
    };
  }

  /** The ban length for `addr` now: bantime, increased by its ban history when bantime.increment is on. */
  banTime(addr: string): number | null {
    const { bantime, increment, name } = this.settings;
    if (bantime === null || !increment.enabled) return bantime;
    const count = this.deps.history.banCount(addr, increment.overalljails ? undefined : name);
    return incrementedBantime(bantime, count, increment, this.deps.random ?? Math.random);
  }

  /** Forgets failures that fell out of the window. */
  private sweep(): void {
    this.sinceSweep = 0;
    const since = this.deps.clock.now() - this.settings.findtime * 1000;
    for (const [addr, t] of this.failures) {
      if (!t.some((c) => c.time >= since)) this.failures.delete(addr);
    }
  }
}
