/**
 * A start without a ban database (file deleted, emptied, unreadable) while the
 * kernel still holds bans: the kernel is the only record left, so its bans of
 * configured jails are adopted into the store with their remaining timeouts
 * before the first reconcile, which would otherwise remove every one of them.
 */
import type { Logger } from '../core/log.js';
import type { FirewallDriver } from '../fw/driver.js';
import type { BanStore } from '../bans/store.js';

/** The reason adopted bans carry (`f2b-fw banned`, history). */
export const ADOPTED_REASON = 'adopted from the kernel (no database at start)';

/** Adopts the kernel's bans of `jails` into a fresh store; returns how many. A kernel that cannot be read adopts nothing. */
export async function adoptKernelBans(store: BanStore, driver: FirewallDriver, jails: ReadonlySet<string>, now: number, log: Logger): Promise<number> {
  if (!store.fresh) return 0;
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
