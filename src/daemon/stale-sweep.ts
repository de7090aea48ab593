/**
 * Stale `f2b-*` iptables chains on hosts where f2b-fw runs on nftables:
 * fail2ban's leftovers live in iptables' filter table whatever our backend
 * is. The ipset backend cleans them in its own reconcile; for nftables this
 * runs src/fw/stale.ts's cleanup at start-up and on `f2b-fw reconcile` (one
 * `*-save` per installed variant and family whose filter table may hold an
 * `f2b-*` chain, src/fw/filter-presence.ts; never per ban or repair).
 */
import type { ReconcileOptions } from '../fw/driver.js';
import type { DriverCapabilities } from '../fw/capabilities.js';
import { formatPlan, isEmptyPlan, type Plan } from '../fw/plan.js';
import type { Core } from './runtime.js';
import { cleanupStaleChains, type StaleCleanupOptions } from '../fw/stale.js';

/** What the sweep found (and removed, unless dry run). */
export interface StaleSweep {
  readonly plan: Plan;
  readonly warnings: readonly string[];
}

/**
 * Runs the stale-chain cleanup when the driver declares it needs one
 * (nftables); nothing for the ipset backend (its reconcile does it) or the
 * null backend. Tables of iptables variants that are not installed are skipped.
 */
export async function sweepStaleChains(capabilities: DriverCapabilities, opts: ReconcileOptions,
  extra: Omit<StaleCleanupOptions, 'dryRun' | 'force' | 'desired'> = {}): Promise<StaleSweep> {
  if (!capabilities.staleChainSweep) return { plan: { changes: [] }, warnings: [] };
  return cleanupStaleChains({ ...extra, dryRun: opts.dryRun ?? false, force: opts.force ?? false });
}

/** One plan holding both plans' changes (ours first). */
export function mergePlans(a: Plan, b: Plan): Plan {
  return b.changes.length === 0 ? a : { changes: [...a.changes, ...b.changes] };
}

/** The running daemon's sweep: removed unless dry run, each removal and warning logged. */
export async function sweepStale(core: Core, opts: ReconcileOptions): Promise<Plan> {
  const { log } = core.deps;
  const { plan, warnings } = await sweepStaleChains(core.driver.capabilities, opts);
  for (const w of warnings) log.warn({ event: 'stale-chains' }, w);
  if (!isEmptyPlan(plan)) {
    log.info({ event: 'stale-chains', dryRun: opts.dryRun === true, changes: plan.changes.length },
      `${opts.dryRun ? 'would remove' : 'removed'} stale f2b-* iptables chains: ${formatPlan(plan)}`);
  }
  return plan;
}
