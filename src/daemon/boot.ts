/**
 * Start-up, in order: configuration (the layout and metrics address checked)
 * → backend opened (nothing changed in the kernel yet) → store (in memory
 * when the backend is a dry run; degraded when the file refuses writes, so `--backend null` never writes the real
 * database) → every jail compiled → kernel bans adopted when the store is new → kernel reconcile (the bans restored) →
 * sources → jobs, watcher, metrics → READY=1. What it builds is immutable
 * (Core); the running jails are the one generation a reload swaps. A failure
 * after the backend or the store opened closes them again.
 */
import { loadJailConfig } from '../config/load.js';
import { firewallLayout } from '../fw/spec.js';
import { BanStore } from '../bans/store.js';
import { BanManager } from '../bans/manager.js';
import { KernelQueue } from '../bans/kernel-queue.js';
import { KernelKeeper } from './kernel-keeper.js';
import { DnsCache } from './dns-cache.js';
import { LatencyHistogram, parseMetricsAddress, serveMetrics, type MetricsAddress } from './metrics.js';
import { buildJails } from './jails.js';
import { dnsResolver } from './pipeline.js';
import { endBansOfOtherJails, startJails } from './reload.js';
import { startJobs } from './jobs.js';
import { sweepStale } from './stale-sweep.js';
import { Daemon } from './daemon.js';
import { adoptKernelBans } from './adopt.js';
import { watchStore } from './store-watch.js';
import { systemTimers } from '../core/clock.js';
import { Outbox } from '../outbox/outbox.js';
import { ActionHub, eventOf } from '../actions/hub.js';
import { createExecutor } from '../actions/factory.js';
import type { LoadedConfig } from '../config/load.js';
import type { Logger } from '../core/log.js';
import { createFleet, fleetJailOf, withFleetJail } from './fleet.js';
import type { BanRecord } from '../bans/records.js';
import type { FleetMember } from '../fleet/member.js';
import { RunningJails, metricsSnapshot, statusLine, type Core, type DaemonConfig, type DaemonDeps } from './runtime.js';

/** At start, how long the daemon waits for the fleet's Redis before going on without it (ms). */
const FLEET_START_WAIT_MS = 3000;

/** Starts the daemon; resolves once it is ready (READY=1 sent). */
export async function bootDaemon(cfg: DaemonConfig, deps: DaemonDeps): Promise<Daemon> {
  const { log, clock } = deps;
  const loaded = loadJailConfig(cfg.configDir);
  const metricsAt = cfg.settings.metrics === undefined ? null : parseMetricsAddress(cfg.settings.metrics);
  const dns = new DnsCache({
    clock,
    ...(deps.lookup === undefined ? {} : { lookup: deps.lookup }),
    onFailed: (name, reason) => log.warn({ event: 'dns', host: name, err: reason }, `host name ${name} did not resolve (${reason}); its failures are not counted`),
  });
  const fleetSettings = cfg.settings.fleet;
  const layout = firewallLayout(withFleetJail(loaded, fleetSettings));
  const driver = await deps.openDriver(loaded, layout);
  let store: BanStore | null = null;
  try {
    const dryRun = !driver.capabilities.kernel;
    if (dryRun) log.warn({ event: 'dry-run', db: cfg.dbFile }, `dry run (${driver.name} backend): bans are kept in memory, ${cfg.dbFile} is not opened and no Ban line is written`);
    store = dryRun ? BanStore.open(':memory:') : BanStore.openDegradable(cfg.dbFile);
    const jails = buildJails(loaded, { clock, history: store, ownAddresses: deps.ownAddresses }, dnsResolver(dns, log));
    const kernelTimes = new LatencyHistogram();
    const kernel = new KernelQueue((s) => kernelTimes.observe(s));
    const actions = new ActionHub({
      outbox: new Outbox(store, () => clock.now(), { log }), clock, timers: systemTimers, log,
      executor: (a) => createExecutor(a, { clock, timers: systemTimers, log }),
    });
    if (!dryRun) {
      actions.configure(loaded.actions);
      actions.dropOrphans();
    }
    warnUnsupported(loaded, log);
    const keeper = new KernelKeeper({ store, kernel, driver, clock, log, layout, events: actions });
    let fleet: FleetMember | null = null;
    const manager = new BanManager({
      store, clock, log, driver, kernel, quiet: dryRun,
      ...(deps.tracer === undefined ? {} : { tracer: deps.tracer }),
      // A dry run reports nothing and shares nothing.
      ...(dryRun ? {} : { events: actions, onRecorded: (records: readonly BanRecord[]) => fleet?.banned(records) }),
      onKernelError: (e) => {
        log.error({ err: e.message }, `kernel change failed, reconciling from the store: ${e.message}`);
        keeper.repair('kernel-error');
      },
      afterBurst: () => keeper.compactSoon('a burst of bans'),
    });
    const running = new RunningJails({ jails: new Map(jails.map((j) => [j.name, j])), layout, fleetJail: fleetJailOf(loaded, fleetSettings, deps.ownAddresses) });
    fleet = dryRun ? null : await createFleet(fleetSettings, { deps, store, manager, running });
    const core: Core = { cfg, deps, store, driver, manager, kernel, keeper, dns, kernelTimes, actions, fleet };
    watchStore(core, () => statusLine(core, running.now));
    return await ready(core, running, metricsAt);
  } catch (e) {
    await driver.close().catch(() => undefined);
    store?.close();
    throw e;
  }
}

/** Restores the kernel, starts sources, jobs, watcher and metrics; undoes what it started when one fails. */
async function ready(core: Core, running: RunningJails, metricsAt: MetricsAddress | null): Promise<Daemon> {
  const { log, clock } = core.deps;
  const set = running.now;
  await adoptKernelBans(core.store, core.driver, new Set(set.jails.keys()), clock.now(), log);
  const ended = endBansOfOtherJails(core, set);
  const started = clock.now();
  const changes = (await core.keeper.reconcile({})).changes.length;
  const restored = core.store.countCurrent(clock.now());
  log.info({ event: 'restore', restored, ended, changes, ms: clock.now() - started, cpuMs: cpuMsSoFar() },
    `restored ${restored} ban(s) into the kernel${ended ? `, dropped ${ended} of jails no longer configured` : ''}`);
  // Actions without norestored see the restored bans again (fail2ban's start-up), keyed by this start.
  // Read only when some jail has an action: parsing 100,000 records (matches) for nobody cost ~0.15 s per 10,000 at start.
  if (core.actions.active) core.actions.enqueue(core.store.current(clock.now()).map((r) => eventOf('ban', r)), { at: started });
  void core.actions.start();
  // fail2ban's debris in iptables is housekeeping: a failure is logged, the daemon still starts.
  await sweepStale(core, {}).catch((e: Error) => log.error({ event: 'stale-chains', err: e.message }, `stale f2b-* chain cleanup failed: ${e.message}`));
  const jobs = startJobs(core, () => statusLine(core, running.now));
  try {
    await startJails(core, [...set.jails.values()]);
    const can = core.driver.capabilities;
    if (can.rulesetEvents || can.periodicRepair) {
      core.keeper.watch({
        table: core.cfg.table,
        events: core.cfg.rulesetEvents ?? can.rulesetEvents,
        checkMs: core.cfg.checkMs ?? { withEvents: 1000, withoutEvents: 5000 },
      });
    }
    // Waits a moment for Redis so a bad URL or password is reported at start; the host is protected either way.
    await core.fleet?.start(FLEET_START_WAIT_MS);
    const metrics = metricsAt ? await serveMetrics(metricsAt, () => metricsSnapshot(core, running.now)) : null;
    if (metrics) log.info({ event: 'metrics', at: core.cfg.settings.metrics }, `metrics on ${core.cfg.settings.metrics}`);
    const daemon = new Daemon({ core, jails: running, jobs, metrics, startedAt: clock.now() });
    await core.deps.beforeReady?.(daemon);
    return announce(daemon, core, running);
  } catch (e) {
    await core.fleet?.close();
    jobs.stop();
    await core.actions.stop();
    core.keeper.close();
    for (const j of set.jails.values()) await j.stop();
    throw e;
  }
}

/** One warning per action f2b-fw does not run, with the reason (check-config shows them too). */
function warnUnsupported(loaded: LoadedConfig, log: Logger): void {
  for (const [jail, list] of loaded.actions) {
    for (const a of list.filter((x) => x.kind === 'unsupported')) {
      log.warn({ jail, action: a.name, reason: a.reason }, `[${jail}] action ${a.name} is not run: ${a.reason}`);
    }
  }
}

function announce(daemon: Daemon, core: Core, running: RunningJails): Daemon {
  const { log, notifier } = core.deps;
  notifier.send(`READY=1\nSTATUS=${statusLine(core, running.now)}`);
  log.info({ event: 'ready', jails: [...running.now.jails.keys()], backend: core.driver.name, cpuMs: cpuMsSoFar() }, `f2b-fw ready: ${statusLine(core, running.now)}`);
  // Start-up's garbage (config and filters parsed, modules linked, the restore) and the C heap
  // its threads left behind: an idle daemon gave back ~5-7 MB of RSS (69 → 61 MB, one jail).
  core.keeper.compactSoon('start-up');
  return daemon;
}

/** The process's CPU time so far in ms (user + system, start-up included), a figure a loaded machine does not inflate. */
function cpuMsSoFar(): number {
  const cpu = process.cpuUsage();
  return Math.round((cpu.user + cpu.system) / 1000);
}
