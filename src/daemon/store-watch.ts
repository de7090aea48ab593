/**
 * The daemon's side of a degraded store: every change of the store's health
 * is logged once (`event: store`) and put into systemd's STATUS line.
 */
import type { StoreHealth } from '../bans/store.js';
import type { Core } from './runtime.js';

/** Logs the store's state now if degraded (a degraded start), then every change; `status` gives the STATUS= text. */
export function watchStore(core: Core, status: () => string): void {
  const { log, notifier, clock } = core.deps;
  const file = core.cfg.dbFile;
  const say = (h: StoreHealth): void => {
    if (h.state === 'degraded') {
      log.error({ event: 'store', state: h.state, err: h.reason, file },
        `the ban database ${file} refuses writes (${h.reason}): bans still reach the kernel and are kept in memory until it takes writes again`);
    } else {
      log.warn({ event: 'store', state: h.state, file }, `the ban database ${file} takes writes again: the bans kept in memory are written back`);
    }
    notifier.send(`STATUS=${status()}`);
  };
  const now = core.store.health(clock.now());
  if (now.state === 'degraded') say(now);
  core.store.onHealthChange(say);
}
