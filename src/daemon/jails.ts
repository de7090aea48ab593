/**
 * One jail as the running daemon holds it: settings, the compiled filter, the
 * counting (Jail), its log source and status counters. Building one reads the
 * filter definition and compiles it, so a bad jail is refused (ConfigError)
 * before anything starts. How its lines flow is src/daemon/pipeline.ts.
 */
import type { Clock } from '../core/clock.js';
import type { Line } from '../core/records.js';
import type { RawSection } from '../config/types.js';
import type { LoadedConfig } from '../config/load.js';
import { sectionEnabled } from '../config/bool.js';
import { loadFilterDefinition } from '../config/filter-load.js';
import { compileFilter, type Filter } from '../filter/filter.js';
import { nonLinearWarning } from '../filter/compile-regex.js';
import { GuardedFilter } from '../filter/guarded.js';
import { jailSettings, type JailSettings } from '../jail/settings.js';
import { Jail, type JailDeps } from '../jail/jail.js';
import { createSources, type LogSource, type PositionStore } from '../sources/source.js';
import type { Tracer } from '../core/trace.js';

/** Host name → cached addresses, never waiting (usedns = yes|warn); [] while unknown. */
export type HostResolver = (name: string) => readonly string[];

/** Builds the host-name resolver a jail's filter gets, from its settings (undefined: names count nothing). */
export type ResolverFor = (settings: JailSettings) => HostResolver | undefined;

/** A jail's checked settings and compiled filter (what check-config validates). */
export interface CompiledJail {
  readonly settings: JailSettings;
  readonly filter: Filter;
  /** One per regex V8's linear engine cannot run (check-config prints them, the daemon logs them). */
  readonly warnings: readonly string[];
}

/**
 * Reads a jail's settings and compiles its filter; throws ConfigError naming the bad value.
 * `guarded`: a filter with backtracking-prone regexes matches in a worker thread under a
 * watchdog (GuardedFilter; the daemon), else inline (check-config only compiles).
 */
export function compileJail(raw: RawSection, configDir: string, clock: Clock, resolverFor?: ResolverFor, guarded = false): CompiledJail {
  const settings = jailSettings(raw);
  const def = loadFilterDefinition(configDir, settings.filter, raw);
  const resolve = resolverFor?.(settings);
  const tz = settings.logtimezone === undefined ? {} : { logtimezone: settings.logtimezone };
  const filter = compileFilter(def, { clock, ...tz, usedns: settings.usedns, ...(resolve === undefined ? {} : { resolve }) });
  const unguarded = filter.unguarded;
  const warnings = unguarded.map(nonLinearWarning);
  // Host names are not resolved in the worker (the DNS cache lives on the main thread).
  if (unguarded.length === 0 || !guarded) return { settings, filter, warnings };
  return { settings, filter: new GuardedFilter(def, filter, { clock, ...tz, usedns: settings.usedns }), warnings };
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

/** Status counters since start; a reload that keeps the jail keeps them. */
export interface JailCounters {
  /** Log lines read (metrics). */
  lines: number;
  /** Failures found (status: Total failed). */
  failures: number;
}

/** A configured jail; its source runs between start() and stop(). */
export class RuntimeJail {
  readonly name: string;
  settings: JailSettings;
  jail: Jail;
  readonly filter: Filter;
  /** Backtracking-prone regexes of its filter (logged when it starts). */
  readonly warnings: readonly string[];
  counters: JailCounters = { lines: 0, failures: 0 };
  private source: LogSource | null = null;

  constructor(readonly raw: RawSection, configDir: string, private readonly deps: JailDeps, resolverFor?: ResolverFor) {
    const compiled = compileJail(raw, configDir, deps.clock, resolverFor, true);
    this.settings = compiled.settings;
    this.filter = compiled.filter;
    this.warnings = compiled.warnings;
    this.name = this.settings.name;
    this.jail = new Jail(this.settings, deps);
  }

  /** Replaces the settings at run time (`set JAIL bantime …`); failure windows start afresh. */
  reconfigure(settings: JailSettings): void {
    this.settings = settings;
    this.jail = new Jail(settings, this.deps);
  }

  /** Continues what `previous` (the same jail before a reload) counted: failures and counters. */
  takeOver(previous: RuntimeJail): void {
    this.jail.adoptFailures(previous.jail);
    this.counters = previous.counters;
  }

  /** Log paths (or `journal`) for status. */
  files(): string[] {
    return this.settings.backend === 'systemd' ? ['journal'] : [...this.settings.logpath];
  }

  /** Starts following the logs; every line goes to `onLine`; reads wait while `room` says the ban queue is full. */
  async start(positions: PositionStore, onLine: (line: Line) => void, onError: (err: Error, source: string) => void,
    room?: () => Promise<void> | undefined, tracer?: Tracer): Promise<void> {
    if (this.source) throw new Error(`[${this.name}] started twice`);
    this.source = createSources(
      { logpath: this.settings.logpath, backend: this.settings.backend, ...(this.settings.journalmatch ? { journalmatch: this.settings.journalmatch } : {}) },
      { clock: this.deps.clock, positions: jailPositions(this.name, positions), onLine, onError, ...(room ? { room } : {}), ...(tracer === undefined ? {} : { tracer }) },
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

/** Compiles the enabled jails of `loaded` (those `only` names, when given) before anything changes. */
export function buildJails(loaded: LoadedConfig, deps: JailDeps, resolverFor?: ResolverFor, only?: ReadonlySet<string>): RuntimeJail[] {
  return loaded.jails
    .filter((raw) => sectionEnabled(raw) && (only?.has(raw.name) ?? true))
    .map((raw) => new RuntimeJail(raw, loaded.configDir, deps, resolverFor));
}
