/**
 * A start without a ban database (file deleted, emptied, unreadable) while the
 * kernel still holds bans: the kernel is the only record left, so its bans of
 * configured jails are adopted into the store with their remaining timeouts
 * before the first reconcile, which would otherwise remove every one of them.
 * A start after a daemon that did not stop cleanly (kill -9, crash) adopts the
 * kernel's single-address bans the store lacks: the ban manager puts a batch into
 * the kernel before it commits it, so the last batch may be in the kernel only
 * (its lines are re-read too: their read positions were not saved).
 */
import type { Logger } from '../core/log.js';
import type { FirewallDriver } from '../fw/driver.js';
import type { BanStore } from '../bans/store.js';
import { isPrefixText } from '../core/prefix.js';

/** The reason adopted bans carry (`f2b-fw banned`, history). */
export const ADOPTED_REASON = 'adopted from the kernel (no database at start)';

/** The reason bans adopted after an unclean stop carry. */
export const UNCLEAN_REASON = 'adopted from the kernel (the daemon before was not stopped cleanly)';

/**
 * Marks the store as in use, then adopts the kernel's bans of `jails` the store lacks: all of them into a
 * fresh store, single addresses after an unclean stop; returns how many. A kernel that cannot be read adopts nothing.
 */
export async function adoptKernelBans(store: BanStore, driver: FirewallDriver, jails: ReadonlySet<string>, now: number, log: Logger): Promise<number> {
  const unclean = store.claimRun();
  if (!store.fresh) return unclean ? adoptUnstored(store, driver, jails, now, log) : 0;
  let held;
  try {
    held = (await driver.list()).filter((b) => jails.has(b.jail) && (b.expiresAt === null || b.expiresAt > now));
  } catch (e) {
    log.debug({ event: 'adopt', err: (e as Error).message }, `no kernel bans to adopt: ${(e as Error).message}`);
    return 0;
  }
  if (held.length === 0) return 0;
  store.addBans(held.map((b) => ({ jail: b.jail, addr: b.addr, bannedAt: now, expiresAt: b.expiresAt, reason: ADOPTED_REASON, matches: [] })));
  log.warn({ event: 'adopt', adopted: held.length, file: store.file },
    `the ban database ${store.file} was new or empty: adopted ${held.length} ban(s) the kernel holds, with their remaining time`);
  return held.length;
}

/** After an unclean stop: the kernel's single-address bans of `jails` that the store does not hold. */
async function adoptUnstored(store: BanStore, driver: FirewallDriver, jails: ReadonlySet<string>, now: number, log: Logger): Promise<number> {
  let held;
  try {
    held = (await driver.list()).filter((b) => jails.has(b.jail) && !isPrefixText(b.addr) && (b.expiresAt === null || b.expiresAt > now));
  } catch (e) {
    log.debug({ event: 'adopt', err: (e as Error).message }, `no kernel bans to adopt: ${(e as Error).message}`);
    return 0;
  }
  const stored = store.currentBans(held, now);
  // A single address a stored prefix holds was folded into it (the prefix's batch ends them after its commit).
  const missing = held.filter((b, i) => stored[i] === undefined && store.holding(b.addr, now, b.jail).length === 0);
  if (missing.length === 0) return 0;
  store.addBans(missing.map((b) => ({ jail: b.jail, addr: b.addr, bannedAt: now, expiresAt: b.expiresAt, reason: UNCLEAN_REASON, matches: [] })));
  log.warn({ event: 'adopt', adopted: missing.length, file: store.file },
    `the daemon before was not stopped cleanly: adopted ${missing.length} ban(s) the kernel holds and the database ${store.file} lacked, with their remaining time`);
  return missing.length;
}
