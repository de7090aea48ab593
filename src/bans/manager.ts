/**
 * The ban manager: turns jail decisions into bans, kernel first, then store.
 * Decisions arriving together (the lines of one read; with the kernel busy, one
 * event-loop turn) are applied together: one kernel transaction, then one SQLite
 * transaction (set-based statements), so a burst of a thousand bans costs two
 * commits, not two thousand. With the kernel queue idle the batch is sent in the
 * turn of its decisions, before their log lines are written (src/core/log-turn.ts). Read positions
 * are written only after the bans of the lines before them are stored (the
 * `positions` gate), so a crash between the two re-reads the lines and bans again
 * (docs/ARCHITECTURE.md, "Why kernel first loses no ban"). Kernel work is
 * serialised through the kernel queue, batches in the order they were made. Unbans happen by
 * kernel timeout; `sweep()` moves expired bans out of the store's current table.
 * A prefix ban folds in the bans of its jail it covers (single addresses and
 * narrower prefixes): they end in the store in the same transaction and leave
 * the kernel with it, so no address is banned twice and no interval overlaps.
 */
import type { Clock } from '../core/clock.js';
import type { Decision, Ban } from '../core/records.js';
import type { FirewallDriver, BanKey, BanOutcome } from '../fw/driver.js';
import type { BanRecord } from './records.js';
import { logBanEvent, type Logger } from '../core/log.js';
import type { BanStore, NewBan, PositionGate } from './store.js';
import { banPieces, isPrefixText } from '../core/prefix.js';
import { fleetOrigin } from '../fleet/protocol.js';
import type { KernelQueue } from './kernel-queue.js';
import { STAGE, type Tracer } from '../core/trace.js';
import { LIMITS } from '../core/defaults.js';

/** What the manager needs, passed in. */
export interface BanManagerDeps {
  readonly store: BanStore;
  readonly clock: Clock;
  readonly log: Logger;
  /** The firewall backend (one per daemon, never replaced). */
  readonly driver: FirewallDriver;
  /** The daemon's one kernel queue (shared with reconciles and repairs). */
  readonly kernel: KernelQueue;
  /**
   * A dry run (null backend): no `Ban`/`Unban` lines, which recidive would read
   * as real bans; the null driver logs what it would block or release instead.
   */
  readonly quiet?: boolean;
  /** Told when the kernel refused a change that the store holds (the kernel keeper reconciles). */
  onKernelError(err: Error): void;
  /** Told when every decision is settled and BURST or more were settled since it was last told (memory compaction). */
  afterBurst?(): void;
  /**
   * Told of new bans inside the store transaction that records them (the fleet queues them in
   * the outbox, so a ban and its publication commit together). Its errors are logged, never fatal.
   */
  onRecorded?(records: readonly BanRecord[]): void;
  /** Told about bans and unbans (the actions hub); absent: nobody listens. */
  readonly events?: BanEvents;
  /** Stage marks (batch, send, ack, stored, positions) of the ban path; absent: no tracing. */
  readonly tracer?: Tracer;
}

/**
 * Ban and unban events for the jails' actions. `recorded` runs inside the store transaction that
 * records them (so queued reports commit with the bans, or not at all) and must not throw;
 * `applied` runs after the kernel has them (the reports may go now).
 */
export interface BanEvents {
  /** `flush`: unbans that lift all of their jails' bans at once (fail2ban's flush). */
  recorded(op: 'ban' | 'unban' | 'flush', records: readonly BanRecord[], decisions?: readonly Decision[]): void;
  applied(jails: ReadonlySet<string>): void;
}

/** Outcome of one decision. */
export interface Applied {
  readonly record: BanRecord;
  /** False when the address was already banned in the jail and nothing changed. */
  readonly fresh: boolean;
}

/** A manual re-ban of an address in force: what its expiry is now. */
export interface Refreshed {
  readonly addr: string;
  readonly expiresAt: number | null;
  /** False when the ban in force already lasted at least as long (or is permanent). */
  readonly extended: boolean;
}

/** Decisions settled since the last memory compaction that make one worth it once the queue is empty. */
const BURST = 10_000;

/** A decision that makes a new ban, with its caller. */
interface Fresh {
  readonly p: Pending;
  readonly ban: NewBan;
}

/** The fields of a record's `Ban` line; `origin: NODE` for a ban received from the fleet (the line says `(fleet: NODE)`). */
function banFields(r: BanRecord): Record<string, unknown> {
  const fields: Record<string, unknown> = { bantime: r.expiresAt === null ? -1 : Math.round((r.expiresAt - r.bannedAt) / 1000), count: r.banCount, reason: r.reason };
  if (r.addresses !== undefined) fields.addresses = r.addresses;
  if (r.except !== undefined) fields.except = r.except;
  // Only a fleet reason can name an origin: no pattern match for the reason of every other ban.
  const o = r.reason.startsWith('fleet:') ? fleetOrigin(r.reason) : null;
  if (o !== null) fields.origin = o.node;
  return fields;
}

/** The ban a decision asks for, starting `now`. */
function newBan(d: Decision, now: number): NewBan {
  return {
    jail: d.jail, addr: d.addr, bannedAt: now, expiresAt: d.ttl === null ? null : now + d.ttl * 1000, reason: d.reason, matches: d.matches,
    ...(d.addresses === undefined ? {} : { addresses: d.addresses }),
    ...(d.except === undefined ? {} : { except: d.except }),
  };
}

/** What the kernel gets for bans: a prefix split around ignored networks as its ranges. */
function kernelBans(bans: readonly { jail: string; addr: string; expiresAt: number | null; except?: readonly string[] }[]): Ban[] {
  return bans.flatMap((b) => banPieces(b.addr, b.except).map((addr) => ({ jail: b.jail, addr, expiresAt: b.expiresAt })));
}

interface Pending {
  readonly decision: Decision;
  resolve(a: Applied): void;
  reject(e: Error): void;
}

/** Applies ban decisions (batched) and manual unbans; keeps per-jail counters. */
export class BanManager {
  private queue: Pending[] = [];
  private scheduled = false;
  /** Decisions submitted since start, and how many of them are settled (batches settle in order). */
  private submitted = 0;
  private settled = 0;
  /** Decisions settled since afterBurst was last told. */
  private burst = 0;
  /** Readers waiting for room (`room`). */
  private waiting: (() => void)[] = [];
  /** Bans applied since start, per jail (status: "Total banned"). */
  readonly totals = new Map<string, number>();
  /** Bans kept out of the kernel because a set of the jail was at its maxelem, per jail (metrics). */
  readonly fullSkips = new Map<string, number>();
  /** Jails whose set is full, logged already (logged again after a batch that fitted). */
  private readonly full = new Set<string>();

  /** Gates the store's read positions on this manager's batches (`positions`). */
  constructor(private readonly deps: BanManagerDeps) {
    deps.store.gatePositions(this.positions);
  }

  /** Queues a ban decision; resolves once the ban is in the kernel and in the store. */
  submit(decision: Decision): Promise<Applied> {
    return new Promise((resolve, reject) => {
      this.queue.push({ decision, resolve, reject });
      this.submitted++;
      if (!this.scheduled) {
        this.scheduled = true;
        // An idle kernel queue: the batch goes out in this turn, once the lines being read
        // now are decided (a read's lines are handed out synchronously, so a chunk of a
        // storm is still one batch). A busy one: the next turn, gathering what arrives meanwhile.
        if (this.deps.kernel.busy) setImmediate(() => this.flush());
        else queueMicrotask(() => this.flush());
      }
    });
  }

  /**
   * The store's read positions wait for this gate: a position set after N decisions
   * were submitted is written once the batches holding those N are settled (in the
   * kernel and committed, or refused by the store), so lines are re-read after a crash
   * unless their bans are stored.
   */
  readonly positions: PositionGate = { ticket: () => this.submitted, passed: () => this.settled };

  /**
   * Backpressure for the log readers: undefined while fewer than LIMITS.pendingBans decisions
   * wait for their transactions, else a promise that resolves once half of them are settled.
   * A reader awaits it before its next read, so a flood waits in its log file, not in memory.
   */
  readonly room = (): Promise<void> | undefined =>
    this.submitted - this.settled < LIMITS.pendingBans ? undefined : new Promise((resolve) => this.waiting.push(resolve));

  /** Resolves when every queued ban has reached the kernel. */
  async idle(): Promise<void> {
    while (this.queue.length > 0 || this.scheduled) await new Promise((r) => setImmediate(r));
    await this.deps.kernel.idle();
  }

  /** One batch: everything submitted since the last, through the kernel queue (so batches settle in order). */
  private flush(): void {
    this.scheduled = false;
    const batch = this.queue;
    this.queue = [];
    const upTo = this.submitted;
    void this.deps.kernel.run(async () => {
      this.deps.tracer?.mark(STAGE.batch);
      try {
        await this.apply(batch);
      } finally {
        this.settled = upTo;
        this.deps.store.flushPositions();
        this.deps.tracer?.mark(STAGE.positions);
        this.afterSettled(batch.length);
      }
    }).catch((e: Error) => this.deps.log.error({ event: 'ban-error', err: e.message }, `a ban batch failed: ${e.message}`));
  }

  /** Wakes the waiting readers once half the pending decisions are settled; tells the end of a burst. */
  private afterSettled(n: number): void {
    const pending = this.submitted - this.settled;
    if (pending <= LIMITS.pendingBans / 2 && this.waiting.length > 0) {
      const waiting = this.waiting;
      this.waiting = [];
      for (const wake of waiting) wake();
    }
    this.burst += n;
    if (pending > 0 || this.burst < BURST) return;
    this.burst = 0;
    this.deps.afterBurst?.();
  }

  /**
   * A batch: the decisions that make new bans go into the kernel first (one transaction),
   * then into the store (one transaction). A batch with a prefix ban that folds in others
   * is stored first instead: the folded bans leave the kernel with it, and a crash between
   * the two must not leave the store holding bans the kernel's interval set would refuse.
   */
  private async apply(batch: readonly Pending[]): Promise<void> {
    const now = this.deps.clock.now();
    let fresh: Fresh[];
    try {
      fresh = this.withoutBanned(batch, now);
    } catch (e) {
      return this.storeFailed(batch, now, e as Error);
    }
    if (fresh.length === 0) return;
    if (fresh.some((f) => isPrefixText(f.ban.addr))) return this.applyStoreFirst(fresh, now);
    let outcome: BanOutcome | void = undefined;
    let kernelError: Error | null = null;
    this.deps.tracer?.mark(STAGE.send);
    try {
      outcome = await this.deps.driver.ban(kernelBans(fresh.map((f) => f.ban)));
    } catch (e) {
      kernelError = e as Error;
    }
    this.deps.tracer?.mark(STAGE.ack);
    let records: BanRecord[];
    try {
      records = this.record(fresh, () => undefined);
      this.deps.tracer?.mark(STAGE.stored);
    } catch (e) {
      this.deps.log.error({ event: 'store-error', err: (e as Error).message, bans: fresh.length },
        `cannot record ${fresh.length} ban(s) in the database, they are in the kernel only: ${(e as Error).message}`);
      for (const f of fresh) f.p.reject(e as Error);
      return;
    }
    this.settle(fresh, records, outcome, kernelError, []);
  }

  /** A batch with prefix bans: store (with the folds), then kernel. */
  private async applyStoreFirst(fresh: readonly Fresh[], now: number): Promise<void> {
    const folded: (BanKey & { into: string })[] = [];
    const foldedKernel: BanKey[] = [];
    let records: BanRecord[];
    try {
      records = this.record(fresh, (added) => {
        for (const r of added) {
          if (!isPrefixText(r.addr)) continue;
          const { ended, kernel } = this.deps.store.fold(r.jail, r.addr, now);
          folded.push(...ended.map((k) => ({ ...k, into: r.addr })));
          foldedKernel.push(...kernel);
        }
      });
    } catch (e) {
      return this.storeFailed(fresh.map((f) => f.p), now, e as Error);
    }
    let outcome: BanOutcome | void = undefined;
    let kernelError: Error | null = null;
    try {
      outcome = await this.banFolding(kernelBans(records), foldedKernel);
    } catch (e) {
      kernelError = e as Error;
    }
    this.settle(fresh, records, outcome, kernelError, folded);
  }

  /** The store transaction of a batch: the bans, `more` (folds), the actions' and the fleet's queues. */
  private record(fresh: readonly Fresh[], more: (added: readonly BanRecord[]) => void): BanRecord[] {
    const { store } = this.deps;
    return store.transaction(() => {
      const added = store.addBans(fresh.map((f) => f.ban));
      more(added);
      this.deps.events?.recorded('ban', added, fresh.map((f) => f.p.decision));
      this.recorded(added);
      return added;
    });
  }

  /** After both transactions: counters, `Ban` lines, callers answered; a kernel refusal goes to the keeper (the store holds the bans). */
  private settle(fresh: readonly Fresh[], records: readonly BanRecord[], outcome: BanOutcome | void, kernelError: Error | null,
    folded: readonly (BanKey & { into: string })[]): void {
    if (kernelError !== null) {
      this.deps.onKernelError(kernelError);
      records.forEach((r, i) => fresh[i]!.p.resolve({ record: r, fresh: true }));
      return;
    }
    const jails = new Set(records.map((r) => r.jail));
    this.noteFull(outcome, jails);
    this.deps.events?.applied(jails);
    for (let i = 0; i < records.length; i++) {
      const r = records[i]!;
      this.totals.set(r.jail, (this.totals.get(r.jail) ?? 0) + 1);
      if (!this.deps.quiet) logBanEvent(this.deps.log, 'Ban', r.jail, r.addr, banFields(r));
      fresh[i]!.p.resolve({ record: r, fresh: true });
    }
    for (const k of folded) logBanEvent(this.deps.log, 'Unban', k.jail, k.addr, { reason: `folded into ${k.into}` });
  }

  /**
   * Bans, with the folded bans leaving the kernel: narrower prefixes first (an
   * interval set refuses overlapping elements), single addresses after the
   * prefix is in (they are in other sets, so there is no moment without a ban).
   */
  private async banFolding(bans: readonly Ban[], folded: readonly BanKey[]): Promise<BanOutcome | void> {
    const { driver } = this.deps;
    const nets = folded.filter((k) => isPrefixText(k.addr));
    if (nets.length > 0) await driver.unban(nets);
    const outcome = await driver.ban(bans);
    const addrs = folded.filter((k) => !isPrefixText(k.addr));
    if (addrs.length > 0) await driver.unban(addrs);
    return outcome;
  }

  private recorded(records: readonly BanRecord[]): void {
    if (!this.deps.onRecorded) return;
    try {
      this.deps.onRecorded(records);
    } catch (e) {
      this.deps.log.error({ event: 'store-error', err: (e as Error).message }, `new bans not queued for publishing: ${(e as Error).message}`);
    }
  }

  /**
   * A jail's set at its maxelem: the bans are in the store but not in the
   * kernel. Logged once per jail until a batch of that jail fits again; counted always.
   */
  private noteFull(outcome: BanOutcome | void, jails: ReadonlySet<string>): void {
    const full = outcome?.full ?? [];
    for (const f of full) {
      this.fullSkips.set(f.jail, (this.fullSkips.get(f.jail) ?? 0) + f.skipped);
      if (this.full.has(f.jail)) continue;
      this.full.add(f.jail);
      this.deps.log.warn({ event: 'set-full', jail: f.jail, skipped: f.skipped, maxelem: f.maxelem },
        `[${f.jail}] the jail's set is full (maxelem ${f.maxelem}): ${f.skipped} ban(s) recorded but not put into the kernel; raise maxelem or shorten bantime`);
    }
    for (const j of jails) if (!full.some((f) => f.jail === j)) this.full.delete(j);
  }

  /** The decisions that make new bans; the others (in force already, or twice in the batch) are answered here. */
  private withoutBanned(batch: readonly Pending[], now: number): Fresh[] {
    const fresh: Fresh[] = [];
    const seen = new Map<string, NewBan>();
    const current = this.deps.store.currentBans(batch.map((p) => p.decision), now);
    for (const [i, p] of batch.entries()) {
      const d = p.decision;
      const key = `${d.jail} ${d.addr}`;
      // As fail2ban: a ban in force is not extended by more failures (lines re-read after a crash included).
      // A prefix inside a wider prefix banned in the jail is held by it already.
      const existing = seen.get(key) ?? current[i]
        ?? (isPrefixText(d.addr) ? this.deps.store.holding(d.addr, now, d.jail)[0] : undefined);
      if (existing) {
        logBanEvent(this.deps.log, 'already banned', d.jail, d.addr);
        p.resolve({ record: { banCount: 1, ...existing, matches: [...existing.matches] }, fresh: false });
        continue;
      }
      const ban = newBan(d, now);
      seen.set(key, ban);
      fresh.push({ p, ban });
    }
    return fresh;
  }

  /** The database refused (disk full, I/O error): the host is protected anyway; these bans will not survive a restart. */
  private async storeFailed(batch: readonly Pending[], now: number, e: Error): Promise<void> {
    this.deps.log.error({ event: 'store-error', err: e.message, bans: batch.length },
      `cannot record ${batch.length} ban(s) in the database, banning in the kernel only: ${e.message}`);
    for (const p of batch) p.reject(e);
    try {
      await this.deps.driver.ban(kernelBans(batch.map((p) => newBan(p.decision, now))));
    } catch (k) {
      this.deps.onKernelError(k as Error);
    }
  }

  /**
   * A manual re-ban of addresses banned in `jail`: each ban whose expiry the new
   * `ttl` (seconds, null = permanent) moves later is extended, store first, then
   * the kernel's element timeout; a longer ban in force is kept as it is.
   */
  async refresh(jail: string, items: readonly { readonly addr: string; readonly ttl: number | null }[]): Promise<Refreshed[]> {
    const { store, clock, log } = this.deps;
    const now = clock.now();
    const out: Refreshed[] = [];
    const bans: Ban[] = [];
    for (const { addr, ttl } of items) {
      const current = store.currentBan(jail, addr, now);
      if (!current) continue;
      const want = ttl === null ? null : now + ttl * 1000;
      const extended = current.expiresAt !== null && (want === null || want > current.expiresAt);
      if (extended) {
        store.extendBan(jail, addr, want, now);
        bans.push({ jail, addr, expiresAt: want });
      }
      out.push({ addr, expiresAt: extended ? want : current.expiresAt, extended });
    }
    if (bans.length > 0) {
      try {
        await this.deps.kernel.run(() => this.deps.driver.ban(bans));
      } catch (e) {
        this.deps.onKernelError(e as Error);
      }
    }
    for (const r of out) logBanEvent(log, 'already banned', jail, r.addr, { refreshed: r.extended, expiresAt: r.expiresAt });
    return out;
  }

  /**
   * Ends bans now (manual unban, or `fleet` when another member lifted them): store first, then kernel.
   * `flush`: `keys` are all of their jails' bans (the actions get fail2ban's flush). Returns the keys that were banned.
   */
  async unban(keys: readonly BanKey[], reason = 'manual', flush = false): Promise<BanKey[]> {
    const now = this.deps.clock.now();
    const kernel = this.deps.store.kernelKeys(keys);
    const removed = this.deps.store.transaction(() => {
      const ending = this.deps.events ? keys.map((k) => this.deps.store.currentBan(k.jail, k.addr, now)).filter((b): b is BanRecord => b !== undefined) : [];
      const gone = this.deps.store.removeBans(keys, now);
      const removed = new Set(gone.map((k) => `${k.jail} ${k.addr}`));
      this.deps.events?.recorded(flush ? 'flush' : 'unban', ending.filter((b) => removed.has(`${b.jail} ${b.addr}`)));
      return gone;
    });
    if (removed.length > 0) await this.deps.kernel.run(() => this.deps.driver.unban(kernel));
    if (removed.length > 0) this.deps.events?.applied(new Set(removed.map((k) => k.jail)));
    if (!this.deps.quiet) for (const k of removed) logBanEvent(this.deps.log, 'Unban', k.jail, k.addr, { reason });
    return removed;
  }

  /** Moves bans whose time is up out of the store's current table (the kernel timed them out itself). */
  sweep(): BanRecord[] {
    return expireBans(this.deps.store, this.deps.clock.now(), this.deps.log, this.deps.events);
  }
}

/**
 * Moves bans whose time is up at `now` out of the store's current table, one `Unban` line each;
 * `events` (the actions hub) queues their unbans.
 */
export function expireBans(store: BanStore, now: number, log: Logger, events?: BanEvents): BanRecord[] {
  const expired = store.transaction(() => {
    const ended = store.expire(now);
    if (ended.length > 0) events?.recorded('unban', ended);
    return ended;
  });
  for (const r of expired) logBanEvent(log, 'Unban', r.jail, r.addr, { reason: 'expired' });
  if (expired.length > 0) events?.applied(new Set(expired.map((r) => r.jail)));
  return expired;
}
