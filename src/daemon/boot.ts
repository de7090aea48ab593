/**
 * Start-up, in order: configuration (every jail compiled, the layout and
 * metrics address checked) → store (degraded when it refuses writes) → backend →
 * kernel bans adopted when the store is new → kernel reconcile (the bans
 * restored) → sources → jobs, watcher, metrics → READY=1. What it builds is
 * immutable (Core); the running jails are the one generation a reload swaps.
 * A failure after the store or the backend opened closes them again.
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
import { RunningJails, metricsSnapshot, statusLine, type Core, type DaemonConfig, type DaemonDeps } from './runtime.js';

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
  const store = BanStore.openDegradable(cfg.dbFile);
  let core: Core | null = null;
  try {
    const jails = buildJails(loaded, { clock, history: store, ownAddresses: deps.ownAddresses }, dnsResolver(dns, log));
    const layout = firewallLayout(loaded);
    const driver = await deps.openDriver(loaded, layout);
    const kernelTimes = new LatencyHistogram();
    const kernel = new KernelQueue((s) => kernelTimes.observe(s));
    const keeper = new KernelKeeper({ store, kernel, driver, clock, log, layout });
    const manager = new BanManager({
      store, clock, log, driver, kernel,
      onKernelError: (e) => {
        log.error({ err: e.message }, `kernel change failed, reconciling from the store: ${e.message}`);
        keeper.repair('kernel-error');
      },
    });
    core = { cfg, deps, store, driver, manager, kernel, keeper, dns, kernelTimes };
    const running = new RunningJails({ jails: new Map(jails.map((j) => [j.name, j])), layout });
    watchStore(core, () => statusLine(core!, running.now));
    return await ready(core, running, metricsAt);
  } catch (e) {
    await core?.driver.close().catch(() => undefined);
    store.close();
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
  log.info({ event: 'restore', restored, ended, changes, ms: clock.now() - started },
    `restored ${restored} ban(s) into the kernel${ended ? `, dropped ${ended} of jails no longer configured` : ''}`);
  // fail2ban's debris in iptables is housekeeping: a failure is logged, the daemon still starts.
  await sweepStale(core, {}).catch((e: Error) => log.error({ event: 'stale-chains', err: e.message }, `stale f2b-* chain cleanup failed: ${e.message}`));
  const jobs = startJobs(core, () => statusLine(core, running.now));
  try {
    await startJails(core, [...set.jails.values()]);
    core.keeper.watch({
      table: core.cfg.table,
      events: core.cfg.rulesetEvents ?? core.driver.name === 'nftables',
      checkMs: core.cfg.checkMs ?? { withEvents: 1000, withoutEvents: 5000 },
    });
    const metrics = metricsAt ? await serveMetrics(metricsAt, () => metricsSnapshot(core, running.now)) : null;
    if (metrics) log.info({ event: 'metrics', at: core.cfg.settings.metrics }, `metrics on ${core.cfg.settings.metrics}`);
    return announce(new Daemon({ core, jails: running, jobs, metrics, startedAt: clock.now() }), core, running);
  } catch (e) {
    jobs.stop();
    core.keeper.close();
    for (const j of set.jails.values()) await j.stop();
    throw e;
  }
}

function announce(daemon: Daemon, core: Core, running: RunningJails): Daemon {
  const { log, notifier } = core.deps;
  notifier.send(`READY=1\nSTATUS=${statusLine(core, running.now)}`);
  log.info({ event: 'ready', jails: [...running.now.jails.keys()], backend: core.driver.name }, `f2b-fw ready: ${statusLine(core, running.now)}`);
  return daemon;
}
