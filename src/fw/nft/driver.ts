/**
 * The nftables firewall driver: bans are elements of per-jail sets in table
 * `inet f2b-fw` with kernel timeouts. Every change — reconcile, bans, unbans,
 * prefixes — is one NftBatch flushed through one NftConn (native/nftables/
 * batch.ts) as one transaction; reads are nfnetlink dumps.
 */
import { NFTABLES_CAPABILITIES } from '../capabilities.js';
import type { Clock } from '../../core/clock.js';
import type { Ban } from '../../core/records.js';
import type { BanKey, BanOutcome, FirewallDriver, ReconcileOptions, SetFull } from '../driver.js';
import { SetCapacity, type SetFill } from '../capacity.js';
import type { FirewallLayout } from '../layout.js';
import type { Plan } from '../plan.js';
import { GenerationChanged, NftBatch, NftConn } from '../../../native/nftables/batch.js';
import { flushSet } from '../../../native/nftables/set.js';
import type { ElementChange } from '../../../native/nftables/element.js';
import { readActual, type ActualState } from './actual.js';
import { TableDump } from '../../../native/nftables/dump.js';
import { ownCommit } from '../../../native/netlink/ruleset-watch.js';
import { BanItems } from './ban-items.js';
import { kernelRefreshesOnAdd } from './probe.js';
import { desiredState, timeoutLeft } from './desired.js';
import { reconcilePlan } from './diff.js';
import { JAIL_SETS, TABLE, idText, parseSetName, setName } from './names.js';

/** How often a reconcile is planned again when the ruleset changed under it. */
export const RECONCILE_ATTEMPTS = 3;

/** Ban batches at least this big read the target sets first (see NftDriver.ban). */
export const BULK_BAN = 10_000;

/** The bans held in our sets, dated from `now` (when the listing ended). */
function bansOf(actual: ActualState, now: number): Ban[] {
  const bans: Ban[] = [];
  for (const [name, els] of actual.elements) {
    const parsed = parseSetName(name);
    if (!parsed) continue;
    for (const [id, leftMs] of els) bans.push({ jail: parsed.jail, addr: idText(id, parsed.kind), expiresAt: leftMs === null ? null : now + leftMs });
  }
  return bans;
}

/** Groups items by set name, keeping first-seen order. */
function bySet<T>(items: readonly T[], setOf: (t: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const name = setOf(item);
    let g = groups.get(name);
    if (!g) groups.set(name, (g = []));
    g.push(item);
  }
  return groups;
}

/** nftables backend of FirewallDriver. */
export class NftDriver implements FirewallDriver {
  readonly name = 'nftables';
  readonly capabilities = NFTABLES_CAPABILITIES;
  private readonly conn: NftConn;
  private readonly clock: Clock;
  private dump: TableDump | undefined;
  private refreshProbe: Promise<boolean> | undefined;
  private readonly capacity = new SetCapacity();
  /** Set by a reconcile that committed: the table is ours even if its marker goes missing later. */
  private builtTable = false;

  /**
   * `conn` writes (its netlink socket opens on first use, in this process's
   * network namespace); `clock` dates timeouts; `options.dump` reads the
   * table back (default: a netlink socket opened on first use);
   * `options.refreshByAdd` skips the kernel probe (tests of both paths).
   */
  constructor(conn: NftConn, clock: Clock, options: { readonly dump?: TableDump; readonly refreshByAdd?: boolean } = {}) {
    this.conn = conn;
    this.clock = clock;
    this.dump = options.dump;
    if (options.refreshByAdd !== undefined) this.refreshProbe = Promise.resolve(options.refreshByAdd);
  }

  private tableDump(): TableDump {
    this.dump ??= TableDump.open(TABLE.family, TABLE.name);
    return this.dump;
  }

  /** Flushes element changes as one batch (watchers step aside for big ones, see ownCommit). */
  private applyElements(changes: readonly ElementChange[]): Promise<void> {
    const batch = new NftBatch();
    for (const c of changes) batch.addElements(TABLE, c);
    return ownCommit(batch.elements, () => this.conn.flush(batch));
  }

  /**
   * See FirewallDriver.reconcile: one transaction, plan returned (also on dry
   * run). The ruleset generation is read before the dump and the batch
   * carries it (NFNL_BATCH_GENID): if anything changed the ruleset since, the
   * kernel refuses the batch (GenerationChanged) and the reconcile is read,
   * planned and sent again (RECONCILE_ATTEMPTS in all) instead of
   * overwriting that change. The generation read after the commit must be
   * ours plus one, or the next attempt looks again. Our own writes wait in
   * the connection's queue meanwhile.
   */
  async reconcile(layout: FirewallLayout, bans: readonly Ban[], options: ReconcileOptions = {}): Promise<Plan> {
    let plan: Plan | undefined;
    for (let attempt = 1; attempt <= RECONCILE_ATTEMPTS; attempt++) {
      let r: { plan: Plan; committed: boolean };
      let before: number | undefined;
      try {
        r = await this.conn.exclusive(async (send) => {
          before = await this.tableDump().generation();
          return this.reconcileOnce(layout, bans, options, (batch) => send(batch, before));
        });
      } catch (e) {
        if (e instanceof GenerationChanged && attempt < RECONCILE_ATTEMPTS) continue;
        throw e;
      }
      // Every attempt's changes were made: the plan lists them all.
      plan = plan ? { ...r.plan, changes: [...plan.changes, ...r.plan.changes] } : r.plan;
      if (options.dryRun) return plan;
      const after = await this.tableDump().generation();
      if (before === undefined || after === undefined || after === ((before + (r.committed ? 1 : 0)) >>> 0)) return plan;
    }
    return plan!;
  }

  private async reconcileOnce(layout: FirewallLayout, bans: readonly Ban[], options: ReconcileOptions,
    send: (batch: NftBatch) => Promise<void>): Promise<{ plan: Plan; committed: boolean }> {
    const actual = await readActual(this.tableDump());
    // Remaining times in the listing are as of its end: date the desired ones the same way.
    const desired = desiredState(layout, bans, this.clock.now());
    const { plan, batch } = reconcilePlan(desired, actual, options.force, this.builtTable && actual.exists);
    if (!options.dryRun && batch.size > 0) await send(batch);
    if (!options.dryRun) this.builtTable = true;
    if (!options.dryRun) for (const [name, limit] of desired.limits) this.capacity.reset(name, desired.elements.get(name)!.size, limit);
    const full = [...desired.overflow].map(([jail, skipped]) => ({ jail, skipped, maxelem: layout.jails.find((j) => j.name === jail)!.maxelem }));
    const invalid = desired.invalid.slice(0, 10).map((b) => ({ jail: b.jail, addr: b.addr }));
    return { plan: { ...plan, ...(full.length > 0 ? { full } : {}), ...(invalid.length > 0 ? { invalid } : {}) }, committed: !options.dryRun && batch.size > 0 };
  }

  /**
   * Adds bans with fresh timeouts. Where the kernel refreshes a timeout on a
   * repeated add (probed once, see probe.ts) an add is all it takes; elsewhere
   * add, delete, add in one transaction, so a re-ban refreshes and an absent
   * address cannot fail the delete — and a batch of BULK_BAN or more first
   * reads the target sets so that new addresses are only added. Prefixes
   * (interval sets) always take add, delete, add. Expired bans are skipped.
   * The jails' sets must exist (reconcile first). One transaction.
   */
  async ban(bans: readonly Ban[]): Promise<BanOutcome> {
    const now = this.clock.now();
    const parsed = new BanItems(bans, (i) => timeoutLeft(bans[i] as Ban, now));
    const { items } = parsed;
    const full: SetFull[] = [];
    if (items.length === 0) return { full };
    const addRefreshes = await this.addRefreshes();
    const groups = bySet(items, (i) => i.set);
    const present = !addRefreshes && items.length >= BULK_BAN
      ? (await readActual(this.tableDump(), { elementsOnly: true, sets: (n) => groups.has(n) })).elements
      : undefined;
    const changes: ElementChange[] = [];
    for (const [name, all] of groups) {
      const have = present?.get(name);
      const group = await this.admit(name, all, have && ((g) => !have.has(parsed.id(g))), now, full);
      const addOnly = addRefreshes && !group[0]?.net;
      const fresh = addOnly ? group : have ? group.filter((g) => !have.has(parsed.id(g))) : [];
      const known = addOnly ? [] : have ? group.filter((g) => have.has(parsed.id(g))) : group;
      if (fresh.length) changes.push(parsed.change('add', name, fresh));
      if (known.length) changes.push(parsed.change('add', name, known), parsed.change('delete', name, known), parsed.change('add', name, known));
    }
    await this.applyElements(changes);
    return { full };
  }

  /**
   * The part of `group` that set `name` has room for (SetCapacity): items
   * that `isNew` (default: all) beyond the room are left out and counted in `full`.
   */
  private async admit<T>(name: string, group: T[], isNew: ((g: T) => boolean) | undefined, now: number, full: SetFull[]): Promise<T[]> {
    const fresh = isNew ? group.filter(isNew).length : group.length;
    const room = await this.capacity.admit(name, fresh, now, () => this.fill(name));
    if (room >= fresh) return group;
    let left = room;
    const kept = group.filter((g) => (isNew && !isNew(g)) || left-- > 0);
    const jail = parseSetName(name)!.jail;
    const skipped = fresh - room;
    const known = full.find((f) => f.jail === jail);
    if (known) full[full.indexOf(known)] = { ...known, skipped: known.skipped + skipped };
    else full.push({ jail, skipped, maxelem: this.capacity.limitOf(name)! });
    return kept;
  }

  /** How many live elements set `name` holds and when the first of them expires. */
  private async fill(name: string): Promise<SetFill> {
    const actual = await readActual(this.tableDump(), { elementsOnly: true, sets: (n) => n === name });
    const els = actual.elements.get(name);
    let soonest = Number.POSITIVE_INFINITY;
    for (const left of els?.values() ?? []) if (left !== null && left < soonest) soonest = left;
    const now = this.clock.now();
    return { count: els?.size ?? 0, nextExpiry: soonest === Number.POSITIVE_INFINITY ? null : now + soonest };
  }

  /** Whether a plain add refreshes timeouts on this kernel (probed on first use; a failed probe is retried later). */
  private async addRefreshes(): Promise<boolean> {
    this.refreshProbe ??= kernelRefreshesOnAdd(this.conn, this.tableDump()).catch(() => {
      this.refreshProbe = undefined;
      return false;
    });
    return this.refreshProbe;
  }

  /** Removes bans (add, then delete: absent ones are not an error), one transaction. */
  async unban(keys: readonly BanKey[]): Promise<void> {
    const parsed = new BanItems(keys, () => null);
    if (parsed.items.length === 0) return;
    const groups = bySet(parsed.items, (i) => i.set);
    for (const [name, group] of groups) this.capacity.released(name, group.length);
    const changes: ElementChange[] = [];
    for (const [name, group] of groups) changes.push(parsed.change('add', name, group), parsed.change('delete', name, group));
    await this.applyElements(changes);
  }

  /** Flushes the four sets of one jail in one transaction. */
  async unbanAll(jail: string): Promise<void> {
    const names = JAIL_SETS.map(({ version, kind }) => setName(jail, version, kind));
    const batch = new NftBatch();
    for (const n of names) batch.add(() => flushSet(TABLE, n));
    await this.conn.flush(batch);
    for (const n of names) this.capacity.emptied(n);
  }

  /** Bans the kernel holds, with expiry from the remaining timeouts (read over netlink). */
  async list(jail?: string): Promise<Ban[]> {
    const actual = await readActual(this.tableDump(), {
      elementsOnly: true,
      ...(jail === undefined ? {} : { sets: (name: string) => parseSetName(name)?.jail === jail }),
    });
    return bansOf(actual, this.clock.now());
  }

  /** Closes the netlink sockets (after queued writes). */
  async close(): Promise<void> {
    this.dump?.close();
    await this.conn.close();
  }
}
