/**
 * The daemon: start-up in the issue's order (config → store → reconcile →
 * sources → ready), the pipeline line → filter → jail → decision → manager →
 * driver, reload, self-healing and clean stop. It implements DaemonApi for the
 * control server. Every kernel change goes through the manager's queue, so
 * bans, unbans, repairs and reloads never interleave.
 */
import type { Clock } from '../core/clock.js';
import type { Decision, Failure } from '../core/records.js';
import { logBanEvent, type Logger } from '../core/log.js';
import { loadJailConfig, type LoadedConfig } from '../config/load.js';
import type { DaemonSettings } from '../config/daemon-conf.js';
import type { FirewallDriver, ReconcileOptions } from '../fw/driver.js';
import type { FirewallLayout } from '../fw/layout.js';
import { firewallLayout } from '../fw/spec.js';
import { formatPlan, isEmptyPlan, type Plan } from '../fw/plan.js';
import { BanStore, type StoreHealth } from '../bans/store.js';
import { BanManager } from '../bans/manager.js';
import type { Notifier } from './notify.js';
import { KernelKeeper } from './kernel-keeper.js';
import { mergePlans, sweepStaleChains } from './stale-sweep.js';
import { RuntimeJail, isEnabled, type JailDeps } from './jails.js';
import { DnsCache, type NameLookup } from './dns-cache.js';
import { LatencyHistogram, parseMetricsAddress, serveMetrics, type MetricsSnapshot } from './metrics.js';
import type { Server } from 'node:http';
import { canonicalAddr, covers } from './address.js';
import { jailGet, jailSet } from './settings-api.js';
import { banRefusal } from '../bans/ban-guard.js';
import { adoptKernelBans } from './adopt.js';
import { IgnoreList } from '../jail/ignore.js';
import {
  ApiError, type BanOptions, type BanRecord, type BanResult, type DaemonApi, type DaemonStatus, type HistoryEntry,
  type JailKey, type JailStatus, type JailValue, type ReloadResult, type UnbanResult,
} from './api.js';

/** Where the daemon's files are and how it runs. */
export interface DaemonConfig {
  readonly configDir: string;
  readonly dbFile: string;
  readonly settings: DaemonSettings;
  /** Our nftables table name (for the ruleset watcher). */
  readonly table: string;
  /** Fallback checks (ms): generation comparison when events work, a full reconcile when they do not. */
  readonly checkMs?: { readonly withEvents: number; readonly withoutEvents: number };
  /**
   * Listen to nftables ruleset events; otherwise only the periodic check runs.
   * Default: when the opened backend is nftables.
   */
  readonly rulesetEvents?: boolean;
}

/** Side effects, passed in. */
export interface DaemonDeps {
  readonly clock: Clock;
  readonly log: Logger;
  readonly notifier: Notifier;
  /** Opens the firewall backend (after config validation; may choose it from the config's banaction). */
  openDriver(config: LoadedConfig, layout: FirewallLayout): Promise<FirewallDriver>;
  /** Refuses a reloaded configuration the running backend cannot serve (ConfigError), before anything changes. */
  checkBackend?(config: LoadedConfig, layout: FirewallLayout): void;
  /** Called when a client asks the daemon to stop. */
  requestStop(): void;
  /** Addresses of this host (ignoreself). */
  readonly ownAddresses: readonly string[];
  /** Host-name lookup for usedns = yes|warn (default: the system resolver). */
  readonly lookup?: NameLookup;
}

const SWEEP_MS = 1000;
const PURGE_MS = 3600_000;

/** The running service. */
export class Daemon implements DaemonApi {
  private jails = new Map<string, RuntimeJail>();
  private layout!: FirewallLayout;
  private driver!: FirewallDriver;
  private manager!: BanManager;
  private store!: BanStore;
  private keeper!: KernelKeeper;
  private timers: NodeJS.Timeout[] = [];
  private startedAt = 0;
  private stopping = false;
  private readonly kernelTimes = new LatencyHistogram();
  private metrics: Server | null = null;

  private readonly dns: DnsCache;
  /** This host's addresses, for refusing manual bans of them. */
  private readonly ownAddresses: IgnoreList;

  private constructor(private readonly cfg: DaemonConfig, private readonly deps: DaemonDeps) {
    this.ownAddresses = new IgnoreList([], deps.ownAddresses);
    this.dns = new DnsCache({
      clock: deps.clock,
      ...(deps.lookup === undefined ? {} : { lookup: deps.lookup }),
      onFailed: (name, reason) => deps.log.warn({ event: 'dns', host: name, err: reason }, `host name ${name} did not resolve (${reason}); its failures are not counted`),
    });
  }

  /** Starts the daemon: config, store, kernel reconcile, sources, then READY=1. */
  static async start(cfg: DaemonConfig, deps: DaemonDeps): Promise<Daemon> {
    const d = new Daemon(cfg, deps);
    await d.boot();
    return d;
  }

  private async boot(): Promise<void> {
    const { log, clock, notifier } = this.deps;
    const loaded = loadJailConfig(this.cfg.configDir);
    const metricsAt = this.cfg.settings.metrics === undefined ? null : parseMetricsAddress(this.cfg.settings.metrics);
    this.store = BanStore.openDegradable(this.cfg.dbFile);
    this.watchStore();
    const jails = this.buildJails(loaded);
    this.layout = firewallLayout(loaded);
    this.driver = await this.deps.openDriver(loaded, this.layout);
    this.manager = new BanManager({
      store: this.store, clock, log, driver: () => this.driver,
      onKernelError: (e) => this.onKernelError(e),
      onKernelTime: (s) => this.kernelTimes.observe(s),
    });
    this.keeper = new KernelKeeper({
      store: this.store, manager: this.manager, clock, log, driver: () => this.driver, layout: () => this.layout,
    });
    this.jails = new Map(jails.map((j) => [j.name, j]));
    await adoptKernelBans(this.store, this.driver, new Set(this.jails.keys()), clock.now(), log);
    const ended = this.dropBansOfUnknownJails();
    const started = clock.now();
    const changes = (await this.keeper.reconcile({})).changes.length;
    const restored = this.store.countCurrent(clock.now());
    log.info({ event: 'restore', restored, ended, changes, ms: clock.now() - started },
      `restored ${restored} ban(s) into the kernel${ended ? `, dropped ${ended} of jails no longer configured` : ''}`);
    // fail2ban's debris in iptables is housekeeping: a failure is logged, the daemon still starts.
    await this.sweepStale({}).catch((e: Error) => log.error({ event: 'stale-chains', err: e.message }, `stale f2b-* chain cleanup failed: ${e.message}`));
    for (const j of this.jails.values()) await j.start();
    this.startTimers();
    if (metricsAt) {
      this.metrics = await serveMetrics(metricsAt, () => this.metricsSnapshot());
      log.info({ event: 'metrics', at: this.cfg.settings.metrics }, `metrics on ${this.cfg.settings.metrics}`);
    }
    this.startedAt = clock.now();
    notifier.send(`READY=1\nSTATUS=${this.statusLine()}`);
    log.info({ event: 'ready', jails: [...this.jails.keys()], backend: this.driver.name }, `f2b-fw ready: ${this.statusLine()}`);
  }

  /** Logs every change of the store's health once and tells systemd (STATUS). */
  private watchStore(): void {
    const { log, notifier, clock } = this.deps;
    const say = (h: StoreHealth): void => {
      if (h.state === 'degraded') {
        log.error({ event: 'store', state: h.state, err: h.reason, file: this.cfg.dbFile },
          `the ban database ${this.cfg.dbFile} refuses writes (${h.reason}): bans still reach the kernel and are kept in memory until it takes writes again`);
      } else {
        log.warn({ event: 'store', state: h.state, file: this.cfg.dbFile }, `the ban database ${this.cfg.dbFile} takes writes again: the bans kept in memory are written back`);
      }
      if (this.jails.size > 0 || h.state === 'ok') notifier.send(`STATUS=${this.statusLine()}`);
    };
    const h = this.store.health(clock.now());
    if (h.state === 'degraded') say(h);
    this.store.onHealthChange(say);
  }

  private metricsSnapshot(): MetricsSnapshot {
    const now = this.deps.clock.now();
    const store = this.store.health(now);
    return {
      storeDegraded: store.state === 'degraded', storeUnwritten: store.unwritten,
      repairsTotal: this.keeper.repairs,
      kernel: this.kernelTimes,
      jails: [...this.jails.values()].map((j) => ({
        jail: j.name, banned: this.store.countCurrent(now, j.name), bansTotal: this.manager.totals.get(j.name) ?? 0,
        failuresTotal: j.totalFailed, linesTotal: j.linesRead,
      })),
    };
  }

  private statusLine(): string {
    const now = this.deps.clock.now();
    const h = this.store.health(now);
    const degraded = h.state === 'degraded' ? `; DEGRADED: ban database refuses writes, ${h.unwritten} ban(s) not written` : '';
    return `${this.jails.size} jail(s), ${this.store.countCurrent(now)} ban(s) in force${degraded}`;
  }

  private jailDeps(): JailDeps {
    return {
      clock: this.deps.clock, history: this.store, positions: this.store, ownAddresses: this.deps.ownAddresses,
      onFailure: (j, f) => this.onFailure(j, f),
      onDecision: (_j, d) => this.onDecision(d),
      onSourceError: (j, err, source) => this.deps.log.warn({ jail: j.name, source, err: err.message }, `[${j.name}] cannot read ${source}: ${err.message}`),
      resolveName: (j, name) => this.resolveName(j, name),
    };
  }

  /** usedns = yes|warn: a host name's cached addresses; a name not cached yet is looked up and this failure dropped. */
  private resolveName(j: RuntimeJail, name: string): readonly string[] {
    const log = this.deps.log;
    const a = this.dns.get(name);
    if (a.state === 'resolved') {
      if (j.settings.usedns === 'warn') {
        log.warn({ event: 'dns', jail: j.name, host: name, addrs: a.addrs }, `[${j.name}] host name ${name} taken as ${a.addrs.join(', ')} (usedns = warn)`);
      }
      return a.addrs;
    }
    if (a.state === 'started') {
      log.info({ event: 'dns', jail: j.name, host: name }, `[${j.name}] looking up host name ${name}: this failure is not counted, later ones are once it resolves`);
    } else if (a.state !== 'failed') {
      log.debug({ event: 'dns', jail: j.name, host: name }, `[${j.name}] host name ${name} not resolved yet (${a.state === 'busy' ? 'too many lookups running' : 'lookup running'}): failure dropped`);
    }
    return [];
  }

  /** Enabled jails of `loaded` (all compiled before anything changes). */
  private buildJails(loaded: LoadedConfig, only?: (name: string) => boolean): RuntimeJail[] {
    const deps = this.jailDeps();
    return loaded.jails
      .filter((raw) => isEnabled(raw) && (only?.(raw.name) ?? true))
      .map((raw) => new RuntimeJail(raw, loaded.configDir, deps));
  }

  private onFailure(j: RuntimeJail, f: Failure): void {
    logBanEvent(this.deps.log, 'Found', j.name, f.addr, {}, f.time);
  }

  private onDecision(d: Decision): void {
    if (this.stopping) return;
    if (d.op === 'ban') {
      this.manager.submit(d).catch((e: Error) => this.deps.log.error({ jail: d.jail, addr: d.addr, err: e.message }, `[${d.jail}] ban of ${d.addr} not recorded: ${e.message}`));
    } else {
      this.manager.unban([{ jail: d.jail, addr: d.addr }]).catch((e: Error) => this.onKernelError(e));
    }
  }

  private onKernelError(e: Error): void {
    this.deps.log.error({ err: e.message }, `kernel change failed, reconciling from the store: ${e.message}`);
    this.keeper.repair('kernel-error');
  }

  /** Bans in the store of jails that are not configured any more end now. */
  private dropBansOfUnknownJails(): number {
    const gone = this.store.jailsWithBans().filter((j) => !this.jails.has(j));
    const keys = gone.flatMap((jail) => this.store.current(this.deps.clock.now(), jail).map((b) => ({ jail, addr: b.addr })));
    return this.store.removeBans(keys, this.deps.clock.now()).length;
  }

  private startTimers(): void {
    const { clock, notifier } = this.deps;
    // A database error in housekeeping is logged and retried next time; it must not stop the daemon.
    const guarded = (what: string, fn: () => unknown) => () => {
      try {
        fn();
      } catch (e) {
        this.deps.log.error({ event: 'store-error', err: (e as Error).message }, `${what} failed: ${(e as Error).message}`);
      }
    };
    const sweep = setInterval(guarded('expiry sweep', () => {
      this.manager.sweep();
      this.store.retry();
    }), SWEEP_MS);
    const purge = setInterval(guarded('history purge', () => this.store.purge(clock.now(), this.cfg.settings.dbpurgeage)), PURGE_MS);
    this.timers.push(sweep, purge);
    this.store.purge(clock.now(), this.cfg.settings.dbpurgeage);
    if (notifier.watchdogMs !== null) this.timers.push(setInterval(() => notifier.send(`WATCHDOG=1\nSTATUS=${this.statusLine()}`), notifier.watchdogMs));
    this.keeper.watch({ table: this.cfg.table, events: this.cfg.rulesetEvents ?? this.driver.name === 'nftables', checkMs: this.cfg.checkMs ?? { withEvents: 1000, withoutEvents: 5000 } });
    for (const t of this.timers) t.unref();
  }

  private jail(name: string): RuntimeJail {
    const j = this.jails.get(name);
    if (!j) throw new ApiError('unknown-jail', `no jail ${JSON.stringify(name)} (jails: ${[...this.jails.keys()].join(', ') || 'none'})`);
    return j;
  }

  // ---- DaemonApi ----

  status(): Promise<DaemonStatus>;
  status(jail: string): Promise<JailStatus>;
  async status(jail?: string): Promise<DaemonStatus | JailStatus> {
    const now = this.deps.clock.now();
    if (jail === undefined) {
      return { jails: [...this.jails.keys()], pid: process.pid, startedAt: this.startedAt, backend: this.driver.name, currentlyBanned: this.store.countCurrent(now), store: this.store.health(now) };
    }
    const j = this.jail(jail);
    const bans = this.store.current(now, jail);
    return {
      jail, currentlyFailed: j.jail.currentlyFailed(), totalFailed: j.totalFailed, files: j.files(),
      currentlyBanned: bans.length, totalBanned: this.manager.totals.get(jail) ?? 0, bannedList: bans.map((b) => b.addr),
    };
  }

  async ban(jail: string, addrs: readonly string[], options: BanOptions = {}): Promise<BanResult> {
    const j = this.jail(jail);
    const canon = [...new Set(addrs.map(canonicalAddr))];
    const guard = { isIgnored: (a: string) => j.jail.isIgnored(a), isOwn: (a: string) => this.ownAddresses.has(a) };
    const refused = canon.map((a) => banRefusal(a, guard, options.force === true)).filter((r) => r !== null);
    if (refused.length > 0) throw new ApiError('refused-address', `nothing banned: ${refused.map((r) => r.message).join('; ')}`);
    const now = this.deps.clock.now();
    const inForce = new Set(canon.filter((a) => this.store.currentBan(jail, a, now) !== undefined));
    const applied = await Promise.all(canon.filter((a) => !inForce.has(a)).map((addr) => this.manager.submit({
      op: 'ban', jail, addr, ttl: j.jail.banTime(addr), reason: 'manual', matches: [],
    })));
    const refreshed = await this.manager.refresh(jail, [...inForce].map((addr) => ({ addr, ttl: j.jail.banTime(addr) })));
    return {
      banned: applied.filter((a) => a.fresh).map((a) => a.record.addr),
      already: [...refreshed.map((r) => r.addr), ...applied.filter((a) => !a.fresh).map((a) => a.record.addr)],
      refreshed,
    };
  }

  async unban(jail: string | undefined, addrs: readonly string[] | 'all'): Promise<UnbanResult> {
    const jails = jail === undefined ? [...this.jails.keys()] : [this.jail(jail).name];
    const now = this.deps.clock.now();
    if (addrs === 'all') {
      const keys = jails.flatMap((jn) => this.store.current(now, jn).map((b) => ({ jail: jn, addr: b.addr })));
      return { unbanned: await this.manager.unban(keys), notBanned: [] };
    }
    const canon = addrs.map(canonicalAddr);
    const keys = canon.flatMap((addr) => this.store.currentFor(addr, now).filter((b) => jails.includes(b.jail)).map((b) => ({ jail: b.jail, addr })));
    const unbanned = await this.manager.unban(keys);
    return { unbanned, notBanned: canon.filter((a) => !unbanned.some((k) => k.addr === a)) };
  }

  async banned(addr?: string): Promise<BanRecord[]> {
    const now = this.deps.clock.now();
    if (addr === undefined) return this.store.current(now);
    const a = canonicalAddr(addr);
    return this.store.currentFor(a, now, !a.includes('/')).filter((b) => b.addr === a || covers(b.addr, a));
  }

  async history(addr: string): Promise<HistoryEntry[]> {
    return this.store.history(canonicalAddr(addr));
  }

  async reload(only?: string): Promise<ReloadResult> {
    const { log, notifier, clock } = this.deps;
    if (only !== undefined) this.jail(only);
    const loaded = loadJailConfig(this.cfg.configDir);
    const fresh = this.buildJails(loaded, only === undefined ? undefined : (n) => n === only);
    if (only !== undefined && fresh.length === 0) throw new ApiError('unknown-jail', `jail ${JSON.stringify(only)} is no longer enabled in ${this.cfg.configDir}; reload without a jail name to remove it`);
    const before = new Set(this.jails.keys());
    const next = new Map(only === undefined ? [] : [...this.jails].filter(([n]) => n !== only));
    for (const j of fresh) next.set(j.name, j);
    // The kernel layout of exactly the jails that will run (a one-jail reload leaves the others as they are).
    const layout = firewallLayout({ ...loaded, jails: [...next.values()].map((j) => j.raw) });
    this.deps.checkBackend?.(loaded, layout);
    notifier.send('RELOADING=1');
    const removed = [...before].filter((n) => !next.has(n));
    const added = [...next.keys()].filter((n) => !before.has(n));
    const kept = [...next.keys()].filter((n) => before.has(n));
    for (const j of this.jails.values()) if (!next.has(j.name) || next.get(j.name) !== j) await j.stop();
    this.jails = next;
    this.layout = layout;
    const ended = this.dropBansOfUnknownJails();
    const plan = await this.keeper.reconcile({});
    for (const j of fresh) await j.start();
    notifier.send(`READY=1\nSTATUS=${this.statusLine()}`);
    log.info({ event: 'reload', added, removed, kept, changes: plan.changes.length, ended, at: clock.now() },
      `reloaded: ${added.length} jail(s) added, ${removed.length} removed, ${kept.length} kept`);
    return { added, removed, kept, plan };
  }

  /** Stale `f2b-*` iptables chains (nftables backend): removed unless dry run, each repair and warning logged. */
  private async sweepStale(opts: ReconcileOptions): Promise<Plan> {
    const { log } = this.deps;
    const { plan, warnings } = await sweepStaleChains(this.driver.name, opts);
    for (const w of warnings) log.warn({ event: 'stale-chains' }, w);
    if (!isEmptyPlan(plan)) {
      log.info({ event: 'stale-chains', dryRun: opts.dryRun === true, changes: plan.changes.length },
        `${opts.dryRun ? 'would remove' : 'removed'} stale f2b-* iptables chains: ${formatPlan(plan)}`);
    }
    return plan;
  }

  async reconcile(opts: ReconcileOptions): Promise<Plan> {
    const plan = mergePlans(await this.keeper.reconcile(opts), await this.sweepStale(opts));
    this.deps.log.info({ event: 'reconcile', dryRun: opts.dryRun === true, changes: plan.changes.length },
      `reconcile requested${opts.dryRun ? ' (dry run)' : ''}: ${formatPlan(plan).split('\n')[0]}`);
    return plan;
  }

  async get(jail: string, key: JailKey): Promise<JailValue> {
    const j = this.jail(jail);
    if (key === 'banned') return this.store.current(this.deps.clock.now(), jail).map((b) => b.addr);
    return jailGet(j, key);
  }

  async set(jail: string, key: JailKey, value: string): Promise<JailValue> {
    const j = this.jail(jail);
    if (key === 'banip') return (await this.ban(jail, value.split(/\s+/).filter(Boolean))).banned;
    if (key === 'unbanip') return (await this.unban(jail, value.split(/\s+/).filter(Boolean))).unbanned.map((k) => k.addr);
    return jailSet(j, key, value);
  }

  async stop(): Promise<void> {
    setImmediate(() => this.deps.requestStop());
  }

  /** Stops cleanly: sources, timers, pending bans, then on_stop, driver and store. */
  async shutdown(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    const { log, notifier } = this.deps;
    notifier.send('STOPPING=1');
    this.keeper.close();
    for (const t of this.timers) clearInterval(t);
    const metrics = this.metrics;
    if (metrics) await new Promise((r) => metrics.close(r));
    for (const j of this.jails.values()) await j.stop();
    await this.manager.idle();
    if (this.cfg.settings.onStop === 'flush') {
      for (const jail of this.jails.keys()) await this.manager.enqueueKernel(() => this.driver.unbanAll(jail));
      log.info({ event: 'flush' }, 'removed every ban from the kernel (on_stop = flush); the store keeps them');
    }
    await this.driver.close();
    this.store.close();
    log.info({ event: 'stop' }, 'f2b-fw stopped');
  }
}
