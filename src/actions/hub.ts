/**
 * The actions hub: every command and reporter action of every jail, run off the ban path.
 * A ban (or unban) is queued in the persistent outbox inside the same store transaction that
 * records it — one entry per action, keyed by jail, address, ban time and operation, ordered per
 * address — and the workers are woken only after the kernel has the ban, so a report never comes
 * first and the ban's latency does not depend on any action. Each action has its own channel and
 * worker (bounded concurrency, backoff, Retry-After, drop after the ban's end); a kill -9 or a
 * restart resumes from the outbox, and the key makes a repeat enqueue a no-op.
 */
import type { Clock, Timers } from '../core/clock.js';
import type { Logger } from '../core/log.js';
import type { BanRecord } from '../daemon/api.js';
import type { BanEvents } from '../bans/manager.js';
import type { Decision } from '../core/records.js';
import type { Outbox, OutboxEntry, OutboxItem } from '../outbox/outbox.js';
import { OutboxWorker, type DeliveryOutcome } from '../outbox/worker.js';
import type { ClassifiedAction } from './classify.js';
import type { ActionExecutor, ActionOp } from './executor.js';
import type { BanValues } from './tags.js';

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

/** Queued payload. */
interface Payload {
  readonly op: ActionOp;
  readonly values: BanValues;
}

/** Builds the executor of one classified action (command or reporter); undefined: nothing to run. */
export type ExecutorFactory = (action: ClassifiedAction) => ActionExecutor | undefined;

/** Side effects and tuning. */
export interface HubDeps {
  readonly outbox: Outbox;
  readonly clock: Clock;
  readonly timers: Timers;
  readonly log: Logger;
  readonly executor: ExecutorFactory;
  /** Deliveries at once per action (default: the worker's). */
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

/** The channel of one action of one jail. */
export function actionChannel(jail: string, action: string): string {
  return `action:${jail}:${action}`;
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

  constructor(private readonly deps: HubDeps) {}

  /** Builds executors and workers for `actions` (per jail), replacing any earlier set (call stop() first). */
  configure(actions: ReadonlyMap<string, readonly ClassifiedAction[]>): void {
    const next = new Map<string, Running[]>();
    for (const [jail, list] of actions) {
      const runs: Running[] = [];
      for (const a of list) {
        const executor = this.deps.executor(a);
        if (!executor) continue;
        const channel = actionChannel(jail, a.name);
        const counts: Record<DeliveryOutcome, number> = { sent: 0, failed: 0, dropped: 0 };
        const worker = new OutboxWorker({
          outbox: this.deps.outbox, channel, clock: this.deps.clock, timers: this.deps.timers, log: this.deps.log,
          follow: false, deliver: (entry) => this.deliver(executor, entry),
          onOutcome: (entry, outcome, detail) => this.outcome(executor, counts, entry, outcome, detail),
          ...(this.deps.concurrency === undefined ? {} : { concurrency: this.deps.concurrency }),
          ...(this.deps.backoff === undefined ? {} : { backoff: this.deps.backoff }),
        });
        runs.push({ executor, worker, channel, counts });
      }
      if (runs.length > 0) next.set(jail, runs);
    }
    this.running = next;
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
  enqueue(events: readonly ActionEvent[], restored?: { readonly at: number }): void {
    const items: OutboxItem[] = [];
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

  /** BanEvents: queues the records' actions (inside the store transaction that records them). */
  recorded(op: ActionOp, records: readonly BanRecord[], decisions?: readonly Decision[]): void {
    if (this.running.size === 0 || records.length === 0) return;
    this.enqueue(records.map((r, i) => eventOf(op, r, decisions?.[i])));
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

  /** Stops the workers (waiting briefly for deliveries running) and runs each actionstop. */
  async stop(): Promise<void> {
    const all = [...this.running.values()].flat();
    await Promise.all(all.map((r) => r.worker.stop()));
    await Promise.all(all.map(async (r) => {
      try { await r.executor.stop(); } catch (e) { this.failed(r.executor, 'stop', e); }
    }));
  }

  private async deliver(executor: ActionExecutor, entry: OutboxEntry) {
    const p = entry.payload as Payload | null;
    if (!p || (p.op !== 'ban' && p.op !== 'unban') || typeof p.values?.ip !== 'string') {
      return { kind: 'drop', reason: 'unreadable queue entry' } as const;
    }
    return executor.run(p.op, p.values);
  }

  private outcome(executor: ActionExecutor, counts: Record<DeliveryOutcome, number>, entry: OutboxEntry, outcome: DeliveryOutcome, detail: string): void {
    counts[outcome]++;
    if (outcome === 'failed') {
      const ip = (entry.payload as Payload | null)?.values?.ip;
      this.deps.log.warn({ jail: executor.jail, action: executor.name, addr: ip, attempts: entry.attempts + 1, err: detail },
        `[${executor.jail}] action ${executor.name} for ${ip} failed (${detail}); will retry`);
    }
  }

  private failed(executor: ActionExecutor, what: string, e: unknown): void {
    this.deps.log.error({ jail: executor.jail, action: executor.name, err: (e as Error)?.message }, `[${executor.jail}] action ${executor.name} ${what} failed: ${(e as Error)?.message}`);
  }
}
