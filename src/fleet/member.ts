/**
 * This host as a fleet member: publishes its shared bans and unbans through
 * the persistent outbox (never on the ban path), follows the stream and the
 * keys through the reader, and applies what others share through the host's
 * ban manager. A received entry is applied only when its jail is accepted,
 * its address is not ignored here (ignoreip, ignoreself) and it is not our
 * own (no echo). Received bans carry the reason `fleet:NODE:JAIL` and are
 * never published again. Counters feed `f2b-fw status` and the metrics.
 */
import type { Logger } from '../core/log.js';
import type { Clock, Timers } from '../core/clock.js';
import { FLEET_DEFAULTS } from '../core/defaults.js';
import type { BanRecord } from '../daemon/api.js';
import type { BanKey } from '../fw/driver.js';
import type { Outbox, OutboxEntry } from '../outbox/outbox.js';
import { OutboxWorker, type Delivery } from '../outbox/worker.js';
import type { FleetSettings } from './config.js';
import { RedisLink, type CreateClient } from './redis.js';
import { FleetCursor } from './cursor.js';
import { Publisher, dedupeKey, outboxExpiry } from './publisher.js';
import { StreamReader, type ReadEntry, type ReaderOptions } from './reader.js';
import { fleetKeys, fleetOrigin, fleetReason, type FleetEntry } from './protocol.js';
import type Database from 'better-sqlite3';

/** A ban to apply, received from the fleet. */
export interface ReceivedBan {
  readonly jail: string;
  readonly addr: string;
  readonly expiresAt: number | null;
  /** `fleet:NODE:JAIL`. */
  readonly reason: string;
}

/** What the member needs from the daemon. */
export interface FleetHost {
  /** True when the local jail exists. */
  hasJail(name: string): boolean;
  /** True when `addr` must never be banned in the local jail (its ignoreip, own addresses with ignoreself). */
  ignored(jail: string, addr: string): boolean;
  /** Applies bans through the ban manager (submitted together: one transaction); resolves to how many were new. */
  ban(bans: readonly ReceivedBan[]): Promise<number>;
  /** Lifts bans (store, then kernel) without publishing them again; resolves to how many were in force. */
  unban(keys: readonly BanKey[]): Promise<number>;
  /** Bans in force that came from the fleet. */
  fleetBans(): readonly BanRecord[];
}

/** Side effects and shared parts. */
export interface FleetDeps {
  readonly log: Logger;
  readonly clock: Clock;
  readonly timers: Timers;
  /** The store's database (cursor in `meta`). */
  readonly db: Database.Database;
  readonly outbox: Outbox;
  readonly host: FleetHost;
  /** The redis package's client factory (loaded by the caller, only for a configured fleet). */
  readonly createClient: CreateClient;
  /** Reader and outbox tuning (tests and benchmarks). */
  readonly reader?: ReaderOptions;
  readonly retry?: { readonly minMs: number; readonly maxMs: number };
}

/** What `f2b-fw status` shows of the fleet. */
export interface FleetStatus {
  readonly url: string;
  readonly node: string;
  readonly connected: boolean;
  /** ms since the epoch since when not connected; null while connected. */
  readonly downSince: number | null;
  readonly lastError: string | null;
  /** ms behind the newest stream entry at the last read. */
  readonly lagMs: number;
  /** Changes waiting in the outbox. */
  readonly queued: number;
  readonly sent: number;
  readonly received: number;
  readonly refused: number;
  readonly catchUps: number;
}

/** One fleet membership, from start to close. */
export class FleetMember {
  received = 0;
  refused = 0;
  private closed = false;
  private readonly link: RedisLink;
  private readonly publisher: Publisher;
  private readonly reader: StreamReader;
  private readonly worker: OutboxWorker;
  private readonly keys;

  constructor(readonly settings: FleetSettings, private readonly deps: FleetDeps) {
    this.keys = fleetKeys(settings.prefix);
    this.link = new RedisLink(settings, deps);
    this.publisher = new Publisher(this.link.commands, this.keys, settings.streamMaxLen, deps.clock);
    this.reader = new StreamReader(this.link, this.keys, new FleetCursor(deps.db, settings.prefix), settings,
      { apply: (b) => this.apply(b), caughtUp: (seen, lift) => (lift ? this.liftGone(seen) : Promise.resolve()) }, deps, deps.reader);
    this.worker = new OutboxWorker({
      outbox: deps.outbox, channel: FLEET_DEFAULTS.channel, clock: deps.clock, timers: deps.timers, log: deps.log,
      concurrency: FLEET_DEFAULTS.publishConcurrency, backoff: deps.retry ?? { minMs: FLEET_DEFAULTS.reconnectMinMs, maxMs: FLEET_DEFAULTS.reconnectMaxMs },
      deliver: (e) => this.deliver(e),
    });
  }

  /** Connects (in the background), starts draining the outbox and reading; waits up to `waitMs` for the first connection. */
  async start(waitMs: number): Promise<boolean> {
    this.link.start();
    this.worker.start();
    this.reader.start();
    const up = await this.link.ready(waitMs);
    if (!up) {
      this.deps.log.error({ event: 'fleet', url: this.settings.displayUrl, err: this.link.lastError },
        `fleet: not connected to ${this.settings.displayUrl}${this.link.lastError ? ` (${this.link.lastError})` : ''}; this host is protected by its own bans and keeps trying`);
    }
    return up;
  }

  private async deliver(entry: OutboxEntry): Promise<Delivery> {
    const e = entry.payload as FleetEntry | null;
    if (e === null || typeof e !== 'object' || (e.op !== 'ban' && e.op !== 'unban')) return { kind: 'drop', reason: 'not a fleet entry' };
    // While Redis is away the delivery waits for it (no retry storm, no log line per queued ban).
    while (!this.link.up && !this.closed) await this.link.ready(FLEET_DEFAULTS.reconnectMaxMs);
    if (this.closed) return { kind: 'retry', error: 'shutting down' };
    return this.publisher.deliver(e);
  }

  /** The local jail for a shared ban of `jail`, or null when this host does not accept that jail. */
  private localJail(jail: string): string | null {
    if (!this.settings.accept.matches(jail)) return null;
    return this.deps.host.hasJail(jail) ? jail : this.settings.jail;
  }

  /** Applies one batch read from Redis, in order (bans together, an unban after the bans before it). */
  private async apply(batch: readonly ReadEntry[]): Promise<void> {
    const { log } = this.deps;
    let bans: ReceivedBan[] = [];
    const flush = async (): Promise<void> => {
      if (bans.length === 0) return;
      const b = bans;
      bans = [];
      this.received += await this.deps.host.ban(b).catch((e: Error) => {
        log.error({ event: 'fleet', err: e.message }, `fleet: ${b.length} received ban(s) not applied: ${e.message}`);
        return 0;
      });
    };
    for (const r of batch) {
      if (r.node === this.settings.node) continue;
      const c = r.checked;
      if (c.kind === 'expired') continue;
      if (c.kind === 'refused') {
        this.refuse(r.where, typeof r.node === 'string' ? r.node : '?', c.reason);
        continue;
      }
      const e = c.entry;
      const jail = this.localJail(e.jail);
      if (jail === null) continue;
      if (this.deps.host.ignored(jail, e.addr)) {
        this.refuse(r.where, e.node, `${e.addr} is in [${jail}] ignoreip or one of this host's addresses`);
        continue;
      }
      if (e.op === 'ban') {
        bans.push({ jail, addr: e.addr, expiresAt: e.expiresAt, reason: fleetReason(e.node, e.jail) });
      } else {
        await flush();
        const n = await this.deps.host.unban([{ jail, addr: e.addr }]);
        this.received += n;
      }
    }
    await flush();
  }

  private refuse(where: string, node: string, reason: string): void {
    this.refused++;
    const from = JSON.stringify(node.slice(0, 64));
    this.deps.log.warn({ event: 'fleet-refused', where, node: node.slice(0, 64), reason }, `fleet: refused ${where} from ${from}: ${reason}`);
  }

  /** After reading the keys: fleet bans whose key is gone were lifted (or replaced) while we were away. */
  private async liftGone(seen: ReadonlySet<string>): Promise<void> {
    const gone = this.deps.host.fleetBans().filter((b) => {
      const o = fleetOrigin(b.reason);
      return o !== null && !seen.has(`${o.jail} ${b.addr}`);
    });
    if (gone.length > 0) await this.deps.host.unban(gone.map((b) => ({ jail: b.jail, addr: b.addr })));
  }

  /** New local bans, recorded by the manager (called inside the store's transaction): queued for publishing. */
  banned(records: readonly BanRecord[]): void {
    const now = this.deps.clock.now();
    const entries = records
      .filter((r) => fleetOrigin(r.reason) === null && this.settings.share.matches(r.jail))
      .map((r): FleetEntry => ({ op: 'ban', jail: r.jail, addr: r.addr, expiresAt: r.expiresAt, node: this.settings.node, reason: r.reason, id: `${this.settings.node}/${r.bannedAt}` }));
    this.enqueue(entries, now);
  }

  /** Bans lifted here by hand (`f2b-fw unban`): the shared ones are lifted everywhere. */
  unbanned(records: readonly BanRecord[]): void {
    const now = this.deps.clock.now();
    const entries = records.flatMap((r): FleetEntry[] => {
      const origin = fleetOrigin(r.reason);
      const jail = origin?.jail ?? r.jail;
      if (origin === null && !this.settings.share.matches(r.jail)) return [];
      return [{ op: 'unban', jail, addr: r.addr, expiresAt: null, node: this.settings.node, reason: 'manual', id: `${this.settings.node}/${now}` }];
    });
    this.enqueue(entries, now);
  }

  private enqueue(entries: readonly FleetEntry[], now: number): void {
    if (entries.length === 0) return;
    this.deps.outbox.enqueue(entries.map((e) => ({
      channel: FLEET_DEFAULTS.channel, dedupeKey: dedupeKey(e), orderKey: e.addr, payload: e, expiresAt: outboxExpiry(e, now),
    })));
  }

  /** Forgets published keys (outbox_done) older than `olderThan` (ms since the epoch). */
  purge(olderThan: number): void {
    this.deps.outbox.purgeDone(olderThan);
  }

  /** Figures for status and metrics. */
  status(): FleetStatus {
    return {
      url: this.settings.displayUrl, node: this.settings.node, connected: this.link.up, downSince: this.link.downSince,
      lastError: this.link.lastError, lagMs: this.reader.lagMs, queued: this.deps.outbox.depth(FLEET_DEFAULTS.channel),
      sent: this.publisher.sent, received: this.received, refused: this.refused, catchUps: this.reader.catchUps,
    };
  }

  /** Stops reading and publishing (queued changes stay in the outbox for the next start). */
  async close(): Promise<void> {
    this.closed = true;
    const stopping = this.worker.stop(1000);
    const closing = this.link.close();
    await stopping;
    await this.reader.close();
    await closing;
  }
}
