/**
 * The records the running daemon is made of. `Core` is built once at boot
 * and never changes (store, backend, ban manager, kernel keeper, DNS cache);
 * `JailSet` is one generation of jails with the kernel layout they need, and
 * a reload replaces it as a whole (src/daemon/reload.ts) or not at all.
 */
import type { HostAddressSource } from '../jail/ignore.js';
import type { Clock, Timers } from '../core/clock.js';
import type { IgnoreList } from '../jail/ignore.js';
import type { FleetMember } from '../fleet/member.js';
import type { Logger } from '../core/log.js';
import type { Tracer } from '../core/trace.js';
import type { LoadedConfig } from '../config/load.js';
import type { DaemonSettings } from '../config/daemon-conf.js';
import type { Daemon } from './daemon.js';
import type { FirewallDriver } from '../fw/driver.js';
import type { FirewallLayout } from '../fw/layout.js';
import type { BanStore } from '../bans/store.js';
import type { BanManager } from '../bans/manager.js';
import type { KernelQueue } from '../bans/kernel-queue.js';
import type { Notifier } from '../../native/sd-notify.js';
import type { KernelKeeper } from './kernel-keeper.js';
import type { ActionHub } from '../actions/hub.js';
import type { RuntimeJail } from './jails.js';
import type { DnsCache, NameLookup } from './dns-cache.js';
import type { LatencyHistogram, MetricsSnapshot } from './metrics.js';

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
  /**
   * Runs once everything is up, just before READY=1 (the control socket listens here, so a
   * client that systemd's `active` sends on its way is answered). A throw undoes the start.
   */
  beforeReady?(daemon: Daemon): Promise<void>;
  /** Addresses of this host (ignoreself, refused manual bans): fixed or live (src/daemon/host-addresses.ts). */
  readonly ownAddresses: readonly string[] | HostAddressSource;
  /** Host-name lookup for usedns = yes|warn (default: the system resolver). */
  readonly lookup?: NameLookup;
  /** Timers of the fleet's outbox worker (default: Node's). */
  readonly timers?: Timers;
  /** Stage marks of the ban path (src/core/trace.ts); absent: no tracing. */
  readonly tracer?: Tracer;
}

/** What boot builds once; nothing in it is replaced while the daemon runs. */
export interface Core {
  readonly cfg: DaemonConfig;
  readonly deps: DaemonDeps;
  readonly store: BanStore;
  readonly driver: FirewallDriver;
  readonly manager: BanManager;
  /** The one queue of kernel changes (bans, reconciles, repairs, flush). */
  readonly kernel: KernelQueue;
  readonly keeper: KernelKeeper;
  readonly dns: DnsCache;
  readonly kernelTimes: LatencyHistogram;
  /** The jails' command and reporter actions, off the ban path (src/actions/hub.ts). */
  readonly actions: ActionHub;
  /** This host as a fleet member (docs/fleet.md); null without `[Fleet]`. */
  readonly fleet: FleetMember | null;
}

/** The built-in jail receiving shared bans of jails this host lacks. */
export interface FleetJail {
  readonly name: string;
  /** [DEFAULT]'s ignoreip and, with ignoreself, this host's addresses. */
  readonly ignore: IgnoreList;
}

/** One generation of jails and the kernel layout that serves exactly them. */
export interface JailSet {
  readonly jails: ReadonlyMap<string, RuntimeJail>;
  readonly layout: FirewallLayout;
  /** The built-in fleet jail of this generation (null: no fleet, or a configured jail takes its name). */
  readonly fleetJail: FleetJail | null;
}

/**
 * The one mutable reference of a running daemon: the JailSet in force. Only
 * a committed reload replaces it; the facade, the jobs and /metrics read it.
 */
export class RunningJails {
  constructor(private set: JailSet) {}

  /** The generation in force. */
  get now(): JailSet {
    return this.set;
  }

  /** Makes `next` the generation in force (a reload's last step). */
  commit(next: JailSet): void {
    this.set = next;
  }
}

/** The systemd STATUS= text and the ready/reload log summary. */
export function statusLine(core: Core, set: JailSet): string {
  const now = core.deps.clock.now();
  const h = core.store.health(now);
  const degraded = h.state === 'degraded' ? `; DEGRADED: ban database refuses writes, ${h.unwritten} ban(s) not written` : '';
  return `${set.jails.size} jail(s), ${core.store.countCurrent(now)} ban(s) in force${degraded}`;
}

/** What /metrics shows now. */
export function metricsSnapshot(core: Core, set: JailSet): MetricsSnapshot {
  const now = core.deps.clock.now();
  const store = core.store.health(now);
  return {
    storeDegraded: store.state === 'degraded', storeUnwritten: store.unwritten,
    ...(core.fleet ? { fleet: core.fleet.status() } : {}),
    repairsTotal: core.keeper.repairs,
    actions: core.actions.stats(),
    kernel: core.kernelTimes,
    jails: [...set.jails.values()].map((j) => ({
      jail: j.name, banned: core.store.countCurrent(now, j.name), bansTotal: core.manager.totals.get(j.name) ?? 0,
      failuresTotal: j.counters.failures, linesTotal: j.counters.lines, slowLinesTotal: j.filter.slowLines ?? 0,
      bannedPrefixes: core.store.countPrefixes(now, j.name), failuresEvicted: j.jail.evicted,
      setFullSkipsTotal: core.manager.fullSkips.get(j.name) ?? 0,
    })),
  };
}
