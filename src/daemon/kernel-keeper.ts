/**
 * Keeps the kernel in line with configuration + store: the reconcile (one
 * transaction, in the daemon's kernel queue so it never interleaves with
 * bans), the switch to a reloaded layout, self-healing when the ruleset
 * watcher reports a foreign change, and memory compaction after big
 * transactions.
 */
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/log.js';
import type { FirewallDriver, ReconcileOptions } from '../fw/driver.js';
import type { FirewallLayout } from '../fw/layout.js';
import { formatPlan, isEmptyPlan, type Plan } from '../fw/plan.js';
import type { BanStore } from '../bans/store.js';
import { expireBans, type BanEvents } from '../bans/manager.js';
import type { KernelQueue } from '../bans/kernel-queue.js';
import { watchRuleset, isOwnThread, type RulesetChange, type RulesetWatch } from '../../native/netlink/ruleset-watch.js';
import { compactMemory } from './memory.js';

/** A reconcile of at least this many bans is followed by a memory compaction. */
const BIG_TRANSACTION = 10_000;

/** What the keeper works with, passed in. */
export interface KeeperDeps {
  readonly store: BanStore;
  readonly kernel: KernelQueue;
  readonly driver: FirewallDriver;
  readonly clock: Clock;
  readonly log: Logger;
  /** The layout of the jails running at boot (a reload commits the next one with switchTo). */
  readonly layout: FirewallLayout;
  /** Told about bans a reconcile finds expired (the actions hub queues their unbans). */
  readonly events?: BanEvents;
}

/** How the keeper watches the ruleset. */
export interface WatchOptions {
  /** Our nftables table. */
  readonly table: string;
  /** Subscribe to nftables events (nftables backend only). */
  readonly events: boolean;
  /** Generation check period with events, full reconcile period without (ms). */
  readonly checkMs: { readonly withEvents: number; readonly withoutEvents: number };
}

function mb(bytes: number): number {
  return Math.round(bytes / 1048576);
}

/** Reconciles, repairs and watches. */
export class KernelKeeper {
  /** Repairs done since start (metrics). */
  repairs = 0;
  private watcher: RulesetWatch | null = null;
  private stopped = false;
  /** A compaction is scheduled (compactSoon): a flood asks often, one pair of collections is enough. */
  private compacting = false;
  /** Asked for while a pair was scheduled: what that request followed; one more pair runs after it. */
  private compactAgain: string | null = null;
  /** The layout the kernel is kept at: the running jails'. */
  private layout: FirewallLayout;

  constructor(private readonly deps: KeeperDeps) {
    this.layout = deps.layout;
  }

  /** Kernel := the running jails' layout + their store bans, one transaction. */
  reconcile(opts: ReconcileOptions): Promise<Plan> {
    return this.deps.kernel.run(() => this.apply(this.layout, opts));
  }

  /**
   * Kernel := `layout` + the store bans of its jails; only once the kernel
   * took it is `layout` the one repairs keep (a reload's commit point). When
   * the kernel refuses, the previous layout stays and the error is the caller's.
   */
  switchTo(layout: FirewallLayout): Promise<Plan> {
    return this.deps.kernel.run(async () => {
      const plan = await this.apply(layout, {});
      this.layout = layout;
      return plan;
    });
  }

  /**
   * One reconcile transaction. The ruleset watcher is paused meanwhile: our
   * own transaction is no news, and a restore of 100,000 bans would otherwise
   * echo back 100,000 notifications.
   */
  private async apply(layout: FirewallLayout, opts: ReconcileOptions): Promise<Plan> {
    const { store, clock, log } = this.deps;
    if (!opts.dryRun) expireBans(store, clock.now(), log, this.deps.events);
    const jails = new Set(layout.jails.map((j) => j.name));
    const bans = store.bansForKernel(clock.now()).filter((b) => jails.has(b.jail));
    this.watcher?.pause();
    try {
      return await this.deps.driver.reconcile(layout, bans, opts);
    } finally {
      this.watcher?.resume();
      // Once the caller is done with the plan, give the transaction's memory back.
      if (bans.length >= BIG_TRANSACTION) this.compactSoon('a big transaction');
    }
  }

  /**
   * Gives the memory of a big transaction back once the caller has let go of it (a
   * reconcile's plan, a storm's ban batches, start-up's config and module loading):
   * twice, as a second collection finds what the first one's finalisers freed.
   * `after` says what it follows, for the debug log. A request while a pair is scheduled is
   * not dropped: one more pair follows it, so the end of a storm (whose bursts ask all along)
   * is always compacted; dropped, a storm's last request left 150 MB resident instead of 125.
   */
  compactSoon(after: string): void {
    if (this.compacting) {
      this.compactAgain = after;
      return;
    }
    this.compacting = true;
    setTimeout(() => this.compact(after), 100).unref();
    setTimeout(() => {
      this.compacting = false;
      this.compact(after);
      const again = this.compactAgain;
      this.compactAgain = null;
      if (again !== null && !this.stopped) this.compactSoon(again);
    }, 2000).unref();
  }

  private compact(cause: string): void {
    const before = process.memoryUsage().rss;
    compactMemory();
    const after = process.memoryUsage();
    this.deps.log.debug({ event: 'memory', after: cause, rssBeforeMb: mb(before), rssMb: mb(after.rss), heapMb: mb(after.heapTotal), externalMb: mb(after.external) },
      `memory compacted after ${cause}: ${mb(before)} → ${mb(after.rss)} MB resident`);
  }

  /** Self-healing: reconcile and say what was repaired (nothing is logged when all was in place). */
  repair(reason: RulesetChange | 'kernel-error'): void {
    if (this.stopped) return;
    const { log, clock } = this.deps;
    const started = clock.now();
    this.reconcile({}).then((plan) => {
      if (isEmptyPlan(plan)) return;
      this.repairs++;
      log.warn({ event: 'repair', reason, changes: plan.changes.length, ms: clock.now() - started },
        `repaired the firewall (${reason}): ${formatPlan(plan)}`);
    }, (e: Error) => log.error({ event: 'repair', reason, err: e.message }, `repair failed (${reason}): ${e.message}`));
  }

  /** Starts watching the ruleset; foreign changes are repaired. */
  watch(options: WatchOptions): void {
    this.watcher = watchRuleset({
      table: options.table, isOwn: isOwnThread, events: options.events,
      generationCheckMs: options.checkMs.withEvents, periodMs: options.checkMs.withoutEvents,
      onChange: (reason) => this.repair(reason),
    });
  }

  /** Stops watching and repairing. */
  close(): void {
    this.stopped = true;
    this.watcher?.close();
  }
}
