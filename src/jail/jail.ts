/**
 * The counting of one jail: `maxretry` failures of an address within
 * `findtime` make a ban for `bantime` (longer for repeat offenders with
 * bantime.increment). Failures older than `findtime` by the injected clock
 * do not count (reading an old log does not ban on stale history); ignored
 * addresses (ignoreip, ignoreself) never count. The recidive jail is an
 * ordinary Jail whose filter reads f2b-fw's own `Ban` lines.
 *
 * With `ipv6_prefix` / `ipv4_prefix` failures are counted per prefix (the key
 * is computed once per failure) and the ban covers the prefix; with
 * `escalate`, N bans inside one escalation prefix within the window ban the
 * prefix instead. ignoreip always wins: a prefix holding an ignored address
 * is banned split around it (the decision lists the ignored networks; the
 * kernel gets the remaining ranges), or, when that would take more than
 * SPLIT_LIMIT ranges, not at all: the narrower ban is made and the decision
 * names the refused prefix. The failure table holds at most
 * `failure_table_size` keys; the one that failed longest ago goes first.
 */
import { promises as dns } from 'node:dns';
import type { Clock } from '../core/clock.js';
import type { Decision, Failure } from '../core/records.js';
import { IgnoreList, parseIgnoreEntry, type NameResolver, type HostAddressSource } from './ignore.js';
import { incrementedBantime } from './increment.js';
import { EscalationTracker } from './escalation.js';
import { OldestFirst } from './oldest-first.js';
import { netOf, netWithout, prefixKey, type Net } from '../core/prefix.js';
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
  /** The host's own addresses (used when ignoreself is on): fixed, e.g. hostAddresses(), or a live source. */
  readonly ownAddresses: readonly string[] | HostAddressSource;
  /** Looks up ignoreip host names (default: the system resolver). */
  readonly resolve?: NameResolver;
  /** Source of randomness for bantime.rndtime, in [0, 1) (default Math.random). */
  readonly random?: () => number;
}

/** One counted failure: when, and the log lines behind it. */
interface Counted {
  readonly time: number;
  /** The address that failed (a counting prefix gathers several). */
  readonly addr: string;
  readonly matches: readonly string[];
  /** The filter's captured fields (actions' `<F-*>` tags). */
  readonly fields: Readonly<Record<string, string>>;
}

/** Most ranges a prefix ban may be split into around ignored addresses (a /64 without one address is 64). */
export const SPLIT_LIMIT = 1024;

/** Sweep stale addresses after this many failures, so the map stays bounded by the window. */
const SWEEP_EVERY = 1024;

const systemResolve: NameResolver = async (name) => (await dns.lookup(name, { all: true })).map((a) => a.address);

/** One jail's decision logic. */
export class Jail {
  readonly settings: JailSettings;
  private readonly deps: JailDeps;
  private readonly ignore: IgnoreList;
  /** Counting key → failures in the window, the key that failed longest ago first. */
  private readonly failures = new OldestFirst<string, Counted[]>();
  private readonly escalation: EscalationTracker | null;
  private readonly countsPrefixes: boolean;
  private sinceSweep = 0;
  /** Keys forgotten because the failure table was full (metrics). */
  evicted = 0;
  /** Settles once ignoreip host names are looked up (at once when there are none); resolves to the names that failed. */
  readonly namesResolved: Promise<string[]>;

  constructor(settings: JailSettings, deps: JailDeps) {
    this.settings = settings;
    this.deps = deps;
    const entries = settings.ignoreip.map((w) => parseIgnoreEntry(w, { file: '(ignoreip)', section: settings.name, key: 'ignoreip', value: w }));
    this.ignore = new IgnoreList(entries, settings.ignoreself ? deps.ownAddresses : []);
    this.countsPrefixes = settings.prefix.v4 < 32 || settings.prefix.v6 < 128;
    this.escalation = settings.escalate && new EscalationTracker(settings.escalate, settings.failureTableSize);
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
    for (const [addr, counted] of previous.failures.entries()) this.failures.set(addr, counted);
  }

  /** True when `addr` (address or prefix) is in ignoreip or, with ignoreself, one of the host's own; `net`: its network, when parsed already. */
  isIgnored(addr: string, net?: Net | null): boolean {
    return this.ignore.has(addr, net);
  }

  /** Addresses (or counting prefixes) with failures inside the window now (fail2ban's "Currently failed"). */
  currentlyFailed(): number {
    this.sweep(false);
    return this.failures.size;
  }

  /** The counting key of an address: itself, or its prefix with ipv4_prefix / ipv6_prefix. */
  keyOf(addr: string): string {
    return this.countsPrefixes ? prefixKey(addr, this.settings.prefix.v4, this.settings.prefix.v6) ?? addr : addr;
  }

  /** Counts one failure; returns a ban Decision when its address (or prefix) reached maxretry within findtime. */
  onFailure(f: Failure): Decision | null {
    const now = this.deps.clock.now();
    const since = now - this.settings.findtime * 1000;
    if (f.time < since || this.isIgnored(f.addr)) return null;
    const key = this.keyOf(f.addr);
    // Already inside a prefix this jail escalated to: the ban is in force, nothing to count.
    if (this.escalation?.coveredBy(key, now)) return null;
    if (++this.sinceSweep >= SWEEP_EVERY) this.sweep(true);
    const before = this.failures.get(key);
    const kept = before === undefined ? [] : before.filter((c) => c.time >= since);
    // A date in the future (clock skew, a forged line) counts as now, so it ages out like the others.
    kept.push({ time: Math.min(f.time, now), addr: f.addr, matches: f.matches, fields: f.fields });
    if (kept.length < this.settings.maxretry) {
      this.failures.set(key, kept);
      this.evicted += this.failures.trim(this.settings.failureTableSize);
      return null;
    }
    this.failures.delete(key);
    const matches = kept.sort((a, b) => a.time - b.time).flatMap((c) => c.matches);
    // ignoreip wins over the counting prefix: split around it, or the address alone is banned.
    const except = key === f.addr ? [] : this.exceptions(key);
    const refused = except === null ? key : undefined;
    const target = refused === undefined ? key : f.addr;
    const addresses = target === f.addr ? undefined : new Set(kept.map((c) => c.addr)).size;
    const fields = Object.assign({}, ...kept.map((c) => c.fields)) as Record<string, string>;
    return this.escalate(target, now, matches) ?? {
      op: 'ban', jail: this.settings.name, addr: target, ttl: this.banTime(target), reason: 'maxretry reached', matches,
      failures: kept.length, fields,
      ...(addresses === undefined ? {} : { addresses }), ...(refused === undefined ? {} : { refused }),
      ...(except !== null && except.length > 0 ? { except } : {}),
    };
  }

  /**
   * The ignored networks inside `prefix` that a ban of it is split around ([] when none),
   * or null when the prefix cannot be banned (wholly ignored, or more than SPLIT_LIMIT ranges).
   */
  exceptions(prefix: string): string[] | null {
    const except = this.ignore.overlapping(prefix);
    if (except.length === 0) return except;
    const net = netOf(prefix);
    const holes = except.map(netOf).filter((n): n is Net => n !== null);
    const rest = net === null ? null : netWithout(net, holes, SPLIT_LIMIT);
    return rest === null || rest.length === 0 ? null : except;
  }

  /** With `escalate`: the ban of the escalation prefix when `target` is the Nth banned inside it in the window. */
  private escalate(target: string, now: number, matches: readonly string[]): Decision | null {
    const hit = this.escalation?.record(target, now);
    if (!hit) return null;
    const base = { op: 'ban', jail: this.settings.name, reason: 'maxretry reached', matches } as const;
    const except = this.exceptions(hit.prefix);
    if (except === null) {
      this.escalation!.forget(hit.prefix);
      return { ...base, addr: target, ttl: this.banTime(target), refused: hit.prefix };
    }
    const ttl = this.banTime(hit.prefix);
    this.escalation!.markBanned(hit.prefix, ttl === null ? null : now + ttl * 1000);
    const { count, window } = this.settings.escalate!;
    return {
      ...base, addr: hit.prefix, ttl, reason: `escalated: ${count} bans in ${window}s`, addresses: hit.members.length,
      ...(except.length > 0 ? { except } : {}),
    };
  }

  /** The ban length for `addr` now: bantime, increased by its ban history when bantime.increment is on. */
  banTime(addr: string): number | null {
    const { bantime, increment, name } = this.settings;
    if (bantime === null || !increment.enabled) return bantime;
    const count = this.deps.history.banCount(addr, increment.overalljails ? undefined : name);
    return incrementedBantime(bantime, count, increment, this.deps.random ?? Math.random);
  }

  /**
   * Forgets failures that fell out of the window. The table is ordered by last
   * failure, so the frequent sweep (`early`) stops at the first key still in
   * the window: amortised O(1) per failure whatever the table holds.
   */
  private sweep(early: boolean): void {
    this.sinceSweep = 0;
    const since = this.deps.clock.now() - this.settings.findtime * 1000;
    const stale = (t: readonly Counted[]): boolean => !t.some((c) => c.time >= since);
    if (early) {
      for (let o = this.failures.oldest(); o !== undefined && stale(o[1]); o = this.failures.oldest()) this.failures.delete(o[0]);
      return;
    }
    for (const [addr, t] of this.failures.entries()) if (stale(t)) this.failures.delete(addr);
  }
}
