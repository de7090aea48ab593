/**
 * One jail as the running daemon holds it: settings, the compiled filter, the
 * decision logic (Jail) and its log source, plus status counters. Building
 * one reads the filter definition and compiles it, so a bad jail is refused
 * (ConfigError) before anything starts.
 */
import type { Clock } from '../core/clock.js';
import { LIMITS } from '../core/defaults.js';
import type { Line, Failure, Decision } from '../core/records.js';
import type { RawSection } from '../config/types.js';
import { loadFilterDefinition } from '../config/filter-load.js';
import { compileFilter, type Filter, type FilterHit } from '../filter/filter.js';
import { nonLinearWarning } from '../filter/compile-regex.js';
import { GuardedFilter, type GuardOptions } from '../filter/guarded.js';
import { jailSettings, type JailSettings } from '../jail/settings.js';
import { Jail, type BanHistory } from '../jail/jail.js';
import { createSources, type LogSource, type PositionStore } from '../sources/source.js';

/** What building and running a jail needs, passed in. */
export interface JailDeps {
  readonly clock: Clock;
  readonly history: BanHistory;
  readonly positions: PositionStore;
  readonly ownAddresses: readonly string[];
  /** A failure the filter found (for the `Found` log line and counters). */
  onFailure(jail: RuntimeJail, failure: Failure): void;
  /** What the jail decided. */
  onDecision(jail: RuntimeJail, decision: Decision): void;
  onSourceError(jail: RuntimeJail, err: Error, source: string): void;
  /**
   * A host name in a failure (usedns = yes|warn) → its addresses, without waiting
   * (a cache: [] while unknown, and that failure is dropped). Without it names count nothing.
   */
  resolveName?(jail: RuntimeJail, name: string): readonly string[];
  /** A filter warning: a backtracking-prone regex at start, an abandoned line (once per jail). */
  onFilterWarning?(jail: RuntimeJail, event: string, message: string): void;
}

/** A jail's checked settings and compiled filter (what check-config validates). */
export interface CompiledJail {
  readonly settings: JailSettings;
  readonly filter: Filter;
  /** One per regex V8's linear engine cannot run (the filter then matches in a worker thread). */
  readonly warnings: readonly string[];
}

/** True when a jail section says `enabled = true` (fail2ban's booleans). */
export function isEnabled(raw: RawSection): boolean {
  return /^(true|yes|on|1)$/i.test(raw.settings.get('enabled')?.value.trim() ?? 'false');
}

/**
 * Reads a jail's settings and compiles its filter; throws ConfigError naming the bad value.
 * `resolve` turns host names into addresses when the jail's usedns is yes or warn.
 */
export function compileJail(raw: RawSection, configDir: string, clock: Clock, resolve?: (name: string) => readonly string[],
  guard?: Pick<GuardOptions, 'onAbandoned'>): CompiledJail {
  const settings = jailSettings(raw);
  const def = loadFilterDefinition(configDir, settings.filter, raw);
  const tz = settings.logtimezone === undefined ? {} : { logtimezone: settings.logtimezone };
  const filter = compileFilter(def, { clock, ...tz, usedns: settings.usedns, ...(resolve === undefined ? {} : { resolve }) });
  const unguarded = filter.unguarded;
  const warnings = unguarded.map(nonLinearWarning);
  // Backtracking-prone regexes match off the main thread (host names are then not resolved there).
  if (unguarded.length === 0 || guard === undefined) return { settings, filter, warnings };
  return { settings, filter: new GuardedFilter(def, filter, { clock, ...tz, usedns: settings.usedns, ...guard }), warnings };
}

/**
 * The read positions of one jail: two jails reading the same file (or journal
 * match) each resume where they stopped. Keys are `[jail] path`; a jail with
 * no position of its own yet takes the one a store from before per-jail keys
 * holds under the bare path (written by whichever jail saved last), so an
 * upgrade neither re-reads nor skips lines. A jail name never holds `]`.
 */
export function jailPositions(jail: string, store: PositionStore): PositionStore {
  const key = (path: string): string => `[${jail}] ${path}`;
  return {
    get: (path) => store.get(key(path)) ?? store.get(path),
    set: (path, pos) => store.set(key(path), pos),
  };
}

/** A configured, running jail. */
export class RuntimeJail {
  readonly name: string;
  settings: JailSettings;
  jail: Jail;
  readonly filter: Filter;
  private source: LogSource | null = null;
  /** Failures seen since start (status: Total failed). */
  totalFailed = 0;
  /** Log lines read since start (metrics). */
  linesRead = 0;

  constructor(readonly raw: RawSection, configDir: string, private readonly deps: JailDeps) {
    const resolveName = deps.resolveName;
    let reported = false;
    const compiled = compileJail(raw, configDir, deps.clock, resolveName && ((name) => resolveName(this, name)), {
      onAbandoned: (e) => {
        if (reported) return;
        reported = true; // once per jail: an attacker repeating the line must not flood the log
        const why = e.kind === 'timeout' ? `its match ran past ${LIMITS.matchWatchdogMs} ms (catastrophic backtracking)`
          : e.kind === 'queue-full' ? `the filter's worker is ${LIMITS.guardedQueueLines} lines behind` : `the filter's worker failed: ${e.detail}`;
        deps.onFilterWarning?.(this, 'line-abandoned', `[${this.name}] a line of ${e.source} was abandoned: ${why}; the worker was restarted and further abandoned lines are only counted`);
      },
    });
    this.settings = compiled.settings;
    this.filter = compiled.filter;
    this.name = this.settings.name;
    this.jail = this.makeJail(this.settings);
    this.filter.deliver?.((hits) => this.onHits(hits));
    for (const w of compiled.warnings) deps.onFilterWarning?.(this, 'regex-backtracking', `[${this.name}] ${w}`);
  }

  /** Replaces the settings at run time (`set JAIL bantime …`); failure windows start afresh. */
  reconfigure(settings: JailSettings): void {
    this.settings = settings;
    this.jail = this.makeJail(settings);
  }

  private makeJail(settings: JailSettings): Jail {
    return new Jail(settings, { clock: this.deps.clock, history: this.deps.history, ownAddresses: this.deps.ownAddresses });
  }

  /** One log line through filter and jail. Never throws: a bad line must not stop the daemon. */
  feed(line: Line): void {
    this.linesRead++;
    this.onHits(this.filter.feed(line));
  }

  private onHits(hits: readonly FilterHit[]): void {
    for (const hit of hits) {
      if (hit.nofail) continue;
      const failure: Failure = { jail: this.name, addr: hit.addr, time: hit.time, matches: hit.matches, fields: hit.fields };
      this.totalFailed++;
      this.deps.onFailure(this, failure);
      const decision = this.jail.onFailure(failure);
      if (decision) this.deps.onDecision(this, decision);
    }
  }

  /** Log paths (or `journal`) for status. */
  files(): string[] {
    return this.settings.backend === 'systemd' ? ['journal'] : [...this.settings.logpath];
  }

  /** Starts following the logs. */
  async start(): Promise<void> {
    this.source = createSources(
      { logpath: this.settings.logpath, backend: this.settings.backend, ...(this.settings.journalmatch ? { journalmatch: this.settings.journalmatch } : {}) },
      {
        clock: this.deps.clock,
        positions: jailPositions(this.name, this.deps.positions),
        onLine: (line) => this.feed(line),
        onError: (err, source) => this.deps.onSourceError(this, err, source),
      },
    );
    await this.source.start();
  }

  /** Stops following (positions saved by the source). */
  async stop(): Promise<void> {
    const s = this.source;
    this.source = null;
    await s?.stop();
    this.filter.close?.();
  }
}
