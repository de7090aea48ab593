/**
 * The actions hub: every command and reporter action of every jail, run off the ban path.
 * A ban (or unban) is queued in the persistent outbox inside the same store transaction that
 * records it — one entry per action, keyed by jail, address, ban time and operation, ordered per
 * address — and the workers are woken only after the kernel has the ban, so a report never comes
 * first and the ban's latency does not depend on any action. Each action has its own channel and
 * worker (bounded concurrency, backoff, Retry-After, drop after the ban's end); a kill -9 or a
 * restart resumes from the outbox, and the key makes a repeat enqueue a no-op.
 * Lifting all of a jail's bans at once (unban of all, a removed jail or action, on_stop = flush)
 * is fail2ban's flush: one `actionflush` entry for an action that has one, queued as a barrier
 * (after every pending entry of the action, before every later one), else one unban per ban.
 * An action a reload removes keeps its worker until its queue is delivered, then its actionstop
 * runs; entries of actions no longer configured at start are dropped with one line per action.
 */
import type { Clock, Timers } from '../core/clock.js';
import type { Logger } from '../core/log.js';
import type { BanRecord } from '../daemon/api.js';
import type { BanEvents } from '../bans/manager.js';
import type { Decision } from '../core/records.js';
import type { Outbox, OutboxEntry, OutboxItem } from '../outbox/outbox.js';
import { OUTBOX_BARRIER } from '../outbox/outbox.js';
import { OutboxWorker, type DeliveryOutcome } from '../outbox/worker.js';
import type { ClassifiedAction } from './classify.js';
import type { ActionExecutor, ActionOp } from './executor.js';
import type { BanValues, Family } from './tags.js';
import { backoffOption } from './options.js';

/** A ban or unban to hand to the jail's actions. */
export interface ActionEvent {
  readonly op: ActionOp;
  readonly jail: string;
  readonly addr: string;
  /** When the ban started (ms): part of the key, so each ban is reported once. */
  readonly bannedAt: number;
  /** When the ban ends (ms); null: permanent. A ban's queued actions are dropped after it. */
  readonly expiresAt: number | null;
  readonly banCount: number;
  readonly failures: number;
  readonly matches: readonly string[];
  readonly fields: Readonly<Record<string, string>>;
}

/** Queued payload: one address's ban or unban, or a flush of the jail's bans in these families. */
type Payload =
  | { readonly op: ActionOp; readonly values: BanValues }
  | { readonly op: 'flush'; readonly families: readonly Family[]; readonly count: number };

/** Builds the executor of one classified action (command or reporter); undefined: nothing to run. */
export type ExecutorFactory = (action: ClassifiedAction) => ActionExecutor | undefined;

/** Side effects and tuning. */
export interface HubDeps {
  readonly outbox: Outbox;
  readonly clock: Clock;
  readonly timers: Timers;
  readonly log: Logger;
  readonly executor: ExecutorFactory;
  /** Deliveries at once per action (default: the executor's, else the worker's). */
  readonly concurrency?: number;
  readonly backoff?: { readonly minMs: number; readonly maxMs: number };
}

/** Counters of one action. */
export interface ActionStats {
  readonly jail: string;
  readonly action: string;
  readonly sent: number;
  readonly failed: number;
  readonly dropped: number;
  readonly queued: number;
}

interface Running {
  readonly executor: ActionExecutor;
  readonly worker: OutboxWorker;
  readonly channel: string;
  readonly counts: Record<DeliveryOutcome, number>;
}

const CHANNEL_PREFIX = 'action:';

/** The channel of one action of one jail. */
export function actionChannel(jail: string, action: string): string {
  return `${CHANNEL_PREFIX}${jail}:${action}`;
}

/** The values a command or reporter sees for one event. */
export function banValues(e: ActionEvent): BanValues {
  return {
    ip: e.addr, family: e.addr.includes(':') ? 'inet6' : 'inet4', failures: e.failures,
    time: Math.floor(e.bannedAt / 1000), bantime: e.expiresAt === null ? -1 : Math.round((e.expiresAt - e.bannedAt) / 1000),
    bancount: e.banCount, matches: e.matches, ipmatches: e.matches, ipjailmatches: e.matches, fields: e.fields,
  };
}

/** The event of a recorded ban or unban (the decision, when known, adds fields and the failure count). */
export function eventOf(op: ActionOp, r: BanRecord, d?: Decision): ActionEvent {
  return {
    op, jail: r.jail, addr: r.addr, bannedAt: r.bannedAt, expiresAt: r.expiresAt, banCount: r.banCount,
    failures: d?.failures ?? r.matches.length, matches: r.matches, fields: d?.fields ?? {},
  };
}

/** Runs the actions of all jails; it is the ban manager's BanEvents listener. */
export class ActionHub implements BanEvents {
  private running = new Map<string, Running[]>();
  /** Actions a reload removed, delivering what they still have queued. */
  private readonly draining = new Map<string, Running>();
  /** Resolvers waiting for channels to run empty (drain()). */
  private readonly emptied = new Set<() => void>();

  constructor(private readonly deps: HubDeps) {}

  /** Builds executors and workers for `actions` (per jail), replacing any earlier set (call stop() first). */
  configure(actions: ReadonlyMap<string, readonly ClassifiedAction[]>): void {
    this.running = this.build(actions);
  }

  /**
   * A reload: actions still configured are stopped and built anew from the new files (call start()
   * after); an action no longer configured gets its jail's bans lifted as fail2ban does on a removed
   * action (its flush, or an unban per ban of `bansOf(jail)`), keeps its worker until its queue is
   * delivered and then runs its actionstop.
   */
  async reconfigure(actions: ReadonlyMap<string, readonly ClassifiedAction[]>, bansOf: (jail: string) => readonly BanRecord[]): Promise<void> {
    const next = this.build(actions);
    const kept = new Set([...next.values()].flat().map((r) => r.channel));
    const old = [...this.running.values()].flat();
    this.running = next;
    await Promise.all(old.filter((r) => kept.has(r.channel)).map((r) => this.halt(r)));
    for (const r of old.filter((x) => !kept.has(x.channel))) {
      this.enqueue([], undefined, this.liftItems(r, bansOf(r.executor.jail)));
      let depth = 0;
      try { depth = this.deps.outbox.depth(r.channel); } catch { /* a store error: drained as far as known */ }
      this.deps.log.info({ event: 'actions', jail: r.executor.jail, action: r.executor.name, queued: depth },
        `[${r.executor.jail}] action ${r.executor.name} removed by the reload: delivering its ${depth} queued entr${depth === 1 ? 'y' : 'ies'}, then actionstop`);
      this.draining.set(r.channel, r);
      r.worker.kick();
      this.checkDrained(r.channel);
    }
  }

  /**
   * At start: entries of `action:` channels no action is configured for (an action removed while the
   * daemon was down, or a drain cut short by a stop) cannot be delivered; they are dropped, one log
   * line per action with the count. Returns how many.
   */
  dropOrphans(): number {
    const known = new Set([...this.running.values()].flat().map((r) => r.channel));
    let total = 0;
    try {
      for (const [channel, n] of this.deps.outbox.depths()) {
        if (!channel.startsWith(CHANNEL_PREFIX) || known.has(channel)) continue;
        total += this.deps.outbox.dropChannel(channel);
        this.deps.log.warn({ event: 'actions', channel, dropped: n },
          `action ${channel.slice(CHANNEL_PREFIX.length).replace(':', ' ')} is no longer configured: ${n} queued entr${n === 1 ? 'y' : 'ies'} dropped undelivered`);
      }
    } catch (e) {
      this.deps.log.error({ event: 'actions', err: (e as Error).message }, `actions: cannot look for entries of removed actions: ${(e as Error).message}`);
    }
    return total;
  }

  private build(actions: ReadonlyMap<string, readonly ClassifiedAction[]>): Map<string, Running[]> {
    const next = new Map<string, Running[]>();
    for (const [jail, list] of actions) {
      const runs: Running[] = [];
      for (const a of list) {
        const executor = this.deps.executor(a);
        if (!executor) continue;
        const channel = actionChannel(jail, a.name);
        const counts: Record<DeliveryOutcome, number> = { sent: 0, failed: 0, dropped: 0 };
        const concurrency = this.deps.concurrency ?? executor.concurrency;
        const backoff = backoffOption(a) ?? this.deps.backoff;
        const worker = new OutboxWorker({
          outbox: this.deps.outbox, channel, clock: this.deps.clock, timers: this.deps.timers, log: this.deps.log,
          follow: false, deliver: (entry) => this.deliver(executor, entry),
          onOutcome: (entry, outcome, detail) => this.outcome(executor, counts, entry, outcome, detail),
          ...(concurrency === undefined ? {} : { concurrency }),
          ...(backoff === undefined ? {} : { backoff }),
        });
        runs.push({ executor, worker, channel, counts });
      }
      if (runs.length > 0) next.set(jail, runs);
    }
    return next;
  }

  /** True when some jail has an action to run. */
  get active(): boolean {
    return this.running.size > 0;
  }

  /** Runs each action's start (actionstart) and then lets its worker deliver; never throws. */
  async start(): Promise<void> {
    await Promise.all([...this.running.values()].flat().map(async (r) => {
      try { await r.executor.start(); } catch (e) { this.failed(r.executor, 'start', e); }
      r.worker.start();
    }));
  }

  /**
   * Queues `events` for their jails' actions in one outbox transaction (call it inside the store
   * transaction that records them). `restored`: bans put back at start, skipped by norestored
   * actions and keyed apart from the original report. Never throws; a store error is logged.
   */
  enqueue(events: readonly ActionEvent[], restored?: { readonly at: number }, extra: readonly OutboxItem[] = []): void {
    const items: OutboxItem[] = [...extra];
    for (const e of events) {
      const values = banValues(e);
      for (const r of this.running.get(e.jail) ?? []) {
        if (restored && r.executor.norestored) continue;
        if (e.op === 'unban' && r.executor.unbans === false) continue;
        const key = `${e.op} ${e.jail} ${e.addr} ${e.bannedAt}${restored ? ` restored@${restored.at}` : ''}`;
        items.push({
          channel: r.channel, dedupeKey: key, orderKey: e.addr, payload: { op: e.op, values } satisfies Payload,
          expiresAt: e.op === 'ban' ? e.expiresAt : null,
        });
      }
    }
    try {
      this.deps.outbox.enqueue(items);
    } catch (e) {
      this.deps.log.error({ event: 'actions', err: (e as Error).message, items: items.length }, `actions: cannot queue ${items.length} report(s): ${(e as Error).message}`);
    }
  }

  /**
   * BanEvents: queues the records' actions (inside the store transaction that records them);
   * `flush`: these unbans lift all of their jails' bans at once (fail2ban's flush).
   */
  recorded(op: ActionOp | 'flush', records: readonly BanRecord[], decisions?: readonly Decision[]): void {
    if (this.running.size === 0 || records.length === 0) return;
    if (op === 'flush') { this.flushBans(records); return; }
    this.enqueue(records.map((r, i) => eventOf(op, r, decisions?.[i])));
  }

  /**
   * Lifts `records` (all bans of their jails) in each of their jails' actions: one actionflush
   * where the action has one, an unban per ban elsewhere. Never throws.
   */
  flushBans(records: readonly BanRecord[]): void {
    const byJail = new Map<string, BanRecord[]>();
    for (const r of records) byJail.set(r.jail, [...(byJail.get(r.jail) ?? []), r]);
    const items: OutboxItem[] = [];
    for (const [jail, bans] of byJail) for (const run of this.running.get(jail) ?? []) items.push(...this.liftItems(run, bans));
    this.enqueue([], undefined, items);
  }

  /** One action's entries for lifting `bans` at once: its flush (a barrier) or an unban per ban. */
  private liftItems(r: Running, bans: readonly BanRecord[]): OutboxItem[] {
    if (bans.length === 0) return [];
    const { jail } = r.executor;
    if (r.executor.flush) {
      const families = [...new Set(bans.map((b) => banValues(eventOf('unban', b)).family))].sort();
      const payload: Payload = { op: 'flush', families, count: bans.length };
      return [{ channel: r.channel, dedupeKey: `flush ${jail} ${this.deps.clock.now()} ${bans.length}`, orderKey: OUTBOX_BARRIER, payload }];
    }
    return bans.map((b) => {
      const e = eventOf('unban', b);
      return { channel: r.channel, dedupeKey: `unban ${jail} ${b.addr} ${b.bannedAt}`, orderKey: b.addr, payload: { op: 'unban', values: banValues(e) } satisfies Payload };
    });
  }

  /**
   * Waits until the workers of `jails` have delivered everything queued (or `ms` passed); the
   * shutdown of on_stop = flush waits so for its flushes. Resolves true when all ran empty.
   */
  async drain(jails: Iterable<string>, ms: number): Promise<boolean> {
    const channels = [...new Set(jails)].flatMap((j) => (this.running.get(j) ?? []).map((r) => r.channel));
    const empty = (): boolean => {
      try { return channels.every((c) => this.deps.outbox.depth(c) === 0); } catch { return true; }
    };
    if (empty()) return true;
    this.kick(jails);
    let timer: unknown;
    let check: () => void = () => undefined;
    const ok = await new Promise<boolean>((resolve) => {
      timer = this.deps.timers.setTimeout(() => resolve(false), ms);
      check = () => { if (empty()) resolve(true); };
      this.emptied.add(check);
    });
    this.emptied.delete(check);
    this.deps.timers.clearTimeout(timer);
    return ok;
  }

  /** BanEvents: the kernel has them, the jails' reports may go. */
  applied(jails: ReadonlySet<string>): void {
    this.kick(jails);
  }

  /** Wakes the workers of `jails` (after the kernel has the bans). */
  kick(jails: Iterable<string>): void {
    for (const jail of new Set(jails)) for (const r of this.running.get(jail) ?? []) r.worker.kick();
  }

  /** Counters and queue depth of each action of `jail` (all jails when omitted). */
  stats(jail?: string): ActionStats[] {
    const out: ActionStats[] = [];
    let depths = new Map<string, number>();
    try { depths = this.deps.outbox.depths(); } catch { /* a closed store shows 0 queued */ }
    for (const [j, runs] of this.running) {
      if (jail !== undefined && j !== jail) continue;
      for (const r of runs) out.push({ jail: j, action: r.executor.name, ...r.counts, queued: depths.get(r.channel) ?? 0 });
    }
    return out;
  }

  /** Stops the workers, draining ones too (waiting briefly for deliveries running), and runs each actionstop. */
  async stop(): Promise<void> {
    const all = [...[...this.running.values()].flat(), ...this.draining.values()];
    this.draining.clear();
    await Promise.all(all.map((r) => this.halt(r)));
  }

  /** One action's worker stopped, then its actionstop. */
  private async halt(r: Running): Promise<void> {
    await r.worker.stop();
    try { await r.executor.stop(); } catch (e) { this.failed(r.executor, 'stop', e); }
  }

  /** A removed action whose queue ran empty stops. */
  private checkDrained(channel: string): void {
    const r = this.draining.get(channel);
    if (!r) return;
    let depth = 0;
    try { depth = this.deps.outbox.depth(channel); } catch { return; }
    if (depth > 0) return;
    this.draining.delete(channel);
    this.deps.log.info({ event: 'actions', jail: r.executor.jail, action: r.executor.name },
      `[${r.executor.jail}] removed action ${r.executor.name} delivered its queue and stops`);
    void this.halt(r);
  }

  private async deliver(executor: ActionExecutor, entry: OutboxEntry) {
    const p = entry.payload as Payload | null;
    if (p?.op === 'flush' && Array.isArray(p.families)) {
      const families = p.families.filter((f): f is Family => f === 'inet4' || f === 'inet6');
      if (!executor.flush) return { kind: 'drop', reason: 'the action has no actionflush any more' } as const;
      return executor.flush(families);
    }
    if (!p || (p.op !== 'ban' && p.op !== 'unban') || typeof p.values?.ip !== 'string') {
      return { kind: 'drop', reason: 'unreadable queue entry' } as const;
    }
    return executor.run(p.op, p.values);
  }

  private outcome(executor: ActionExecutor, counts: Record<DeliveryOutcome, number>, entry: OutboxEntry, outcome: DeliveryOutcome, detail: string): void {
    counts[outcome]++;
    if (outcome !== 'failed') {
      this.checkDrained(entry.channel);
      for (const fn of [...this.emptied]) fn();
    }
    if (outcome === 'failed') {
      const p = entry.payload as Payload | null;
      const ip = p?.op === 'flush' ? `all ${p.count} ban(s) (actionflush)` : p?.values?.ip;
      this.deps.log.warn({ jail: executor.jail, action: executor.name, addr: ip, attempts: entry.attempts + 1, err: detail },
        `[${executor.jail}] action ${executor.name} for ${ip} failed (${detail}); will retry`);
    }
  }

  private failed(executor: ActionExecutor, what: string, e: unknown): void {
    this.deps.log.error({ jail: executor.jail, action: executor.name, err: (e as Error)?.message }, `[${executor.jail}] action ${executor.name} ${what} failed: ${(e as Error)?.message}`);
  }
}
