/**
 * The running daemon as the control server sees it (DaemonApi): a thin
 * facade over the boot-built Core and the running JailSet. The only thing
 * it ever replaces is the JailSet, when a reload commits; reloads go through
 * one serialising, coalescing queue. shutdown() stops in order: reloads,
 * watcher, jobs, metrics, sources, pending bans, on_stop, backend, store.
 */
import type { Server } from 'node:http';
import type { ReconcileOptions } from '../fw/driver.js';
import { formatPlan, type Plan } from '../fw/plan.js';
import { canonicalAddr, covers } from './address.js';
import { checkManualBan, heldBy } from './prefix-api.js';
import { jailGet, jailSet } from './settings-api.js';
import {
  ApiError, type BanOptions, type BanRecord, type BanResult, type DaemonApi, type DaemonStatus, type HistoryEntry,
  type JailKey, type JailStatus, type JailValue, type ReloadResult, type UnbanResult,
} from './api.js';
import type { RuntimeJail } from './jails.js';
import type { Jobs } from './jobs.js';
import { applyReload, planReload } from './reload.js';
import { ReloadQueue, type ReloadScope } from './reload-queue.js';
import { mergePlans, sweepStale } from './stale-sweep.js';
import type { Core, RunningJails } from './runtime.js';
import { banRefusal, type BanGuardContext } from '../bans/ban-guard.js';
import { IgnoreList } from '../jail/ignore.js';
import { netOf, type Net } from '../core/prefix.js';
import { banJails } from './fleet.js';
import { OUTBOX_DEFAULTS } from '../outbox/worker.js';

/** The ban guard's stages, in the order a manual ban is checked. */
const SCREEN_STAGES = ['parse', 'never', 'floor', 'unforced'] as const;
type ScreenStage = typeof SCREEN_STAGES[number];
/** An address the guard refused, and at which stage. */
interface Screened { readonly text: string; readonly stage: ScreenStage; readonly error: ApiError }

/** What boot hands over once the daemon is ready. */
export interface Running {
  readonly core: Core;
  readonly jails: RunningJails;
  readonly jobs: Jobs;
  readonly metrics: Server | null;
  readonly startedAt: number;
}

/** The daemon; built by bootDaemon (src/daemon/boot.ts). */
export class Daemon implements DaemonApi {
  private readonly core: Core;
  private readonly reloads: ReloadQueue<ReloadResult>;
  private stopping: Promise<void> | null = null;
  /** This host's addresses, for refusing manual bans of them. */
  private readonly ownAddresses: IgnoreList;

  constructor(private readonly running: Running) {
    this.core = running.core;
    this.ownAddresses = new IgnoreList([], running.core.deps.ownAddresses);
    this.reloads = new ReloadQueue((scope) => this.reloadNow(scope));
  }

  /** The jails in force now. */
  private get live(): ReadonlyMap<string, RuntimeJail> {
    return this.running.jails.now.jails;
  }

  private jail(name: string): RuntimeJail {
    const j = this.live.get(name);
    if (!j) throw new ApiError('unknown-jail', `no jail ${JSON.stringify(name)} (jails: ${[...this.live.keys()].join(', ') || 'none'})`);
    return j;
  }

  status(): Promise<DaemonStatus>;
  status(jail: string): Promise<JailStatus>;
  async status(jail?: string): Promise<DaemonStatus | JailStatus> {
    const { store, manager, driver } = this.core;
    const now = this.core.deps.clock.now();
    if (jail === undefined) {
      return {
        jails: [...this.live.keys()], pid: process.pid, startedAt: this.running.startedAt, backend: driver.name, currentlyBanned: store.countCurrent(now), store: store.health(now),
        ...(this.core.fleet ? { fleet: this.core.fleet.status() } : {}),
      };
    }
    const j = this.jail(jail);
    const bans = store.current(now, jail);
    return {
      jail, currentlyFailed: j.jail.currentlyFailed(), totalFailed: j.counters.failures, files: j.files(),
      currentlyBanned: bans.length, totalBanned: manager.totals.get(jail) ?? 0, bannedList: bans.map((b) => b.addr),
      actions: this.core.actions.stats(jail).map(({ jail: _j, ...a }) => a),
    };
  }

  async ban(jail: string, addrs: readonly string[], options: BanOptions = {}): Promise<BanResult> {
    const { store, manager } = this.core;
    const j = this.jail(jail);
    const { canon, excepts, refused } = options.partial === true ? this.checkEach(j, addrs, options.force === true) : this.checkAll(j, addrs, options.force === true);
    const now = this.core.deps.clock.now();
    const current = store.currentBans(canon.map((addr) => ({ jail, addr })), now);
    const inForce = canon.filter((_, i) => current[i] !== undefined);
    // One manager batch (one kernel and one store transaction), however many addresses.
    const applied = await Promise.all(canon.filter((_, i) => current[i] === undefined).map((addr) => manager.submit({
      op: 'ban', jail, addr, ttl: j.jail.banTime(addr), reason: 'manual', matches: [], ...(excepts.get(addr)!.length > 0 ? { except: excepts.get(addr)! } : {}),
    })));
    const refreshed = await manager.refresh(jail, inForce.map((addr) => ({ addr, ttl: j.jail.banTime(addr) })));
    return {
      banned: applied.filter((a) => a.fresh).map((a) => a.record.addr),
      already: [...refreshed.map((r) => r.addr), ...applied.filter((a) => !a.fresh).map((a) => a.record.addr)],
      refreshed,
      ...(refused === undefined ? {} : { refused }),
    };
  }

  /**
   * The ban guard for a manual ban, all or nothing: the first stage any address fails decides the
   * error (a malformed address, then `/0` and loopback, then the jail's prefix floor, then ignored
   * and own addresses unless `force`); the refusals of one stage are named together.
   */
  private checkAll(j: RuntimeJail, addrs: readonly string[], force: boolean): { canon: string[]; excepts: Map<string, readonly string[]>; refused?: undefined } {
    const { accepted, refused } = this.screen(j, addrs, force);
    const first = SCREEN_STAGES.find((stage) => refused.some((r) => r.stage === stage));
    if (first === undefined) return { canon: [...accepted.keys()], excepts: accepted };
    const failed = refused.filter((r) => r.stage === first);
    if (first === 'parse' || first === 'floor') throw failed[0]!.error;
    throw new ApiError('refused-address', `nothing banned: ${[...new Set(failed.map((r) => r.error.message))].join('; ')}`);
  }

  /** The same guard, address by address: a refused (or malformed) one is reported, the others pass. */
  private checkEach(j: RuntimeJail, addrs: readonly string[], force: boolean): { canon: string[]; excepts: Map<string, readonly string[]>; refused: { addr: string; message: string }[] } {
    const { accepted, refused } = this.screen(j, addrs, force);
    return { canon: [...accepted.keys()], excepts: accepted, refused: refused.map((r) => ({ addr: r.text, message: r.error.message })) };
  }

  /** Each address through the guard's stages: accepted (canonical → split-out networks) or refused at one stage. */
  private screen(j: RuntimeJail, addrs: readonly string[], force: boolean): { accepted: Map<string, readonly string[]>; refused: Screened[] } {
    const guard = this.banGuard(j);
    const accepted = new Map<string, readonly string[]>();
    const refused: Screened[] = [];
    for (const text of addrs) {
      let stage: ScreenStage = 'parse';
      try {
        const a = canonicalAddr(text);
        if (accepted.has(a)) continue;
        stage = 'never';
        const never = banRefusal(a, guard, true);
        if (never) throw new ApiError('refused-address', never.message);
        stage = 'floor';
        const except = checkManualBan(j.jail, a);
        stage = 'unforced';
        const unforced = banRefusal(a, guard, force);
        if (unforced) throw new ApiError('refused-address', unforced.message);
        accepted.set(a, except);
      } catch (e) {
        if (!(e instanceof ApiError)) throw e;
        refused.push({ text, stage, error: e });
      }
    }
    return { accepted, refused };
  }

  /** What a manual ban in `j` is checked against. A prefix holding ignored addresses is split around them (checkManualBan); one holding this host's is refused. */
  private banGuard(j: RuntimeJail): BanGuardContext {
    // Both checks of one address share one parse of it (a `ban --file` of 100,000 parsed each address four times).
    let text: string | null = null;
    let net: Net | null = null;
    const parsed = (a: string): Net | null => {
      if (a !== text) {
        text = a;
        net = netOf(a);
      }
      return net;
    };
    return { isIgnored: (a: string) => !a.includes('/') && j.jail.isIgnored(a, parsed(a)), isOwn: (a: string) => this.ownAddresses.has(a, parsed(a)) };
  }

  async unban(jail: string | undefined, addrs: readonly string[] | 'all'): Promise<UnbanResult> {
    const { store } = this.core;
    const builtin = this.running.jails.now.fleetJail?.name;
    const jails = jail === undefined ? banJails(this.running.jails.now) : [jail === builtin ? jail : this.jail(jail).name];
    const now = this.core.deps.clock.now();
    if (addrs === 'all') {
      return { unbanned: await this.unbanShared(jails.flatMap((jn) => store.current(now, jn)), true), notBanned: [] };
    }
    const canon = addrs.map(canonicalAddr);
    const unbanned = await this.unbanShared(canon.flatMap((addr) => store.currentFor(addr, now).filter((b) => jails.includes(b.jail))));
    const notBanned = canon.filter((a) => !unbanned.some((k) => k.addr === a));
    const held = heldBy(store, notBanned, jails, now);
    return { unbanned, notBanned, ...(held.length > 0 ? { heldBy: held } : {}) };
  }

  /** Ends bans by hand (`all`: every ban of their jails, a flush for the actions); the fleet lifts the shared ones on every host. */
  private async unbanShared(records: readonly BanRecord[], all = false): Promise<{ jail: string; addr: string }[]> {
    const unbanned = await this.core.manager.unban(records.map((b) => ({ jail: b.jail, addr: b.addr })), 'manual', all);
    const lifted = new Set(unbanned.map((k) => `${k.jail} ${k.addr}`));
    this.core.fleet?.unbanned(records.filter((r) => lifted.has(`${r.jail} ${r.addr}`)));
    return unbanned;
  }

  async banned(addr?: string): Promise<BanRecord[]> {
    const now = this.core.deps.clock.now();
    if (addr === undefined) return this.core.store.current(now);
    const a = canonicalAddr(addr);
    return this.core.store.currentFor(a, now, !a.includes('/')).filter((b) => b.addr === a || covers(b.addr, a));
  }

  async history(addr: string): Promise<HistoryEntry[]> {
    return this.core.store.history(canonicalAddr(addr), true);
  }

  /** Queued behind any running reload; concurrent requests share one. */
  reload(only?: string): Promise<ReloadResult> {
    try {
      if (only !== undefined) this.jail(only);
    } catch (e) {
      return Promise.reject(e);
    }
    return this.reloads.request(only === undefined ? 'all' : new Set([only]));
  }

  private async reloadNow(scope: ReloadScope): Promise<ReloadResult> {
    const plan = planReload(this.core, this.running.jails.now, scope === 'all' ? undefined : scope);
    // The bans of jails the reload removes, taken before it ends them: their actions lift them.
    const now = this.core.deps.clock.now();
    const bans = new Map(plan.removed.map((j) => [j, this.core.store.current(now, j)]));
    const { set, result } = await applyReload(this.core, this.running.jails.now, plan);
    this.running.jails.commit(set);
    // Actions follow the new configuration; queued deliveries stay in the outbox meanwhile, and a
    // removed action delivers its queue before its actionstop.
    await this.core.actions.reconfigure(plan.loaded.actions, (jail) => bans.get(jail) ?? this.core.store.current(this.core.deps.clock.now(), jail));
    void this.core.actions.start();
    return result;
  }

  async reconcile(opts: ReconcileOptions): Promise<Plan> {
    const plan = mergePlans(await this.core.keeper.reconcile(opts), await sweepStale(this.core, opts));
    this.core.deps.log.info({ event: 'reconcile', dryRun: opts.dryRun === true, changes: plan.changes.length },
      `reconcile requested${opts.dryRun ? ' (dry run)' : ''}: ${formatPlan(plan).split('\n')[0]}`);
    return plan;
  }

  async get(jail: string, key: JailKey): Promise<JailValue> {
    const j = this.jail(jail);
    if (key === 'banned') return this.core.store.current(this.core.deps.clock.now(), jail).map((b) => b.addr);
    return jailGet(j, key);
  }

  async set(jail: string, key: JailKey, value: string): Promise<JailValue> {
    const j = this.jail(jail);
    if (key === 'banip') return (await this.ban(jail, value.split(/\s+/).filter(Boolean))).banned;
    if (key === 'unbanip') return (await this.unban(jail, value.split(/\s+/).filter(Boolean))).unbanned.map((k) => k.addr);
    return jailSet(j, key, value);
  }

  async stop(): Promise<void> {
    setImmediate(() => this.core.deps.requestStop());
  }

  /** Stops cleanly (once; later calls wait for the first). */
  shutdown(): Promise<void> {
    this.stopping ??= this.stopNow();
    return this.stopping;
  }

  private async stopNow(): Promise<void> {
    const { core } = this;
    const { log, notifier } = core.deps;
    notifier.send('STOPPING=1');
    await this.reloads.close();
    core.keeper.close();
    this.running.jobs.stop();
    const metrics = this.running.metrics;
    if (metrics) await new Promise((r) => metrics.close(r));
    for (const j of this.live.values()) await j.stop();
    await core.manager.idle();
    if (core.cfg.settings.onStop === 'flush') {
      // fail2ban's stop: each action's actionflush (or an unban per ban) before its actionstop; what
      // is not delivered in time stays queued, ahead of the bans restored at the next start.
      const jails = banJails(this.running.jails.now);
      core.actions.flushBans(jails.flatMap((jail) => core.store.current(core.deps.clock.now(), jail)));
      await core.actions.drain(jails, OUTBOX_DEFAULTS.stopFlushMs);
    }
    await core.actions.stop();
    await core.fleet?.close();
    if (core.cfg.settings.onStop === 'flush') {
      for (const jail of banJails(this.running.jails.now)) await core.kernel.run(() => core.driver.unbanAll(jail));
      log.info({ event: 'flush' }, 'removed every ban from the kernel (on_stop = flush); the store keeps them');
    }
    await core.driver.close();
    core.store.close();
    log.info({ event: 'stop' }, 'f2b-fw stopped');
  }
}
