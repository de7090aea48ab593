/**
 * The daemon's periodic jobs: the expiry sweep (bans whose kernel timeout ran
 * out leave the store's current table), the history purge (dbpurgeage) and
 * the systemd watchdog ping. A database error in a job is logged and the job
 * runs again next time; it never stops the daemon.
 */
import type { Logger } from '../core/log.js';
import type { Core } from './runtime.js';

/** Expiry sweep period. */
const SWEEP_MS = 1000;
/** History purge period. */
const PURGE_MS = 3600_000;

/** Running jobs; stop() clears every timer. */
export interface Jobs {
  stop(): void;
}

function guarded(log: Logger, what: string, fn: () => unknown): () => void {
  return () => {
    try {
      fn();
    } catch (e) {
      log.error({ event: 'store-error', err: (e as Error).message }, `${what} failed: ${(e as Error).message}`);
    }
  };
}

/** Starts the jobs (the purge runs once now); `status` gives the watchdog's STATUS= text. */
export function startJobs(core: Core, status: () => string): Jobs {
  const { clock, log, notifier } = core.deps;
  const purge = guarded(log, 'history purge', () => {
    core.store.purge(clock.now(), core.cfg.settings.dbpurgeage);
    core.fleet?.purge(clock.now() - core.cfg.settings.dbpurgeage * 1000);
  });
  const timers = [
    setInterval(guarded(log, 'expiry sweep', () => {
      core.manager.sweep();
      // A degraded store writes back what it kept in memory once the database takes writes.
      core.store.retry();
    }), SWEEP_MS),
    setInterval(purge, PURGE_MS),
  ];
  purge();
  const watchdogMs = notifier.watchdogMs;
  if (watchdogMs !== null) timers.push(setInterval(() => notifier.send(`WATCHDOG=1\nSTATUS=${status()}`), watchdogMs));
  for (const t of timers) t.unref();
  return { stop: () => { for (const t of timers) clearInterval(t); } };
}
