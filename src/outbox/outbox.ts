/**
 * The persistent outbox: work to deliver to the outside world (reports of reporting actions, the
 * fleet's published bans) kept in the store (tables `outbox` and `outbox_done`, schema 2), so a
 * crash or a restart neither loses nor repeats it. Producers enqueue at-least-once with a stable
 * key per item; a key still queued or already delivered is ignored, so enqueueing again after a
 * crash is a no-op. Entries of one channel sharing an `orderKey` (one address) are handed out
 * strictly in order: an entry is due only when no earlier entry of its order key is pending. An
 * entry whose order key is OUTBOX_BARRIER (an action's flush of all its bans) orders against every
 * key of its channel: it is due once everything queued before it is done, and nothing queued after
 * it is due before it is done.
 *
 * Over a BanStore the outbox is part of its degraded mode: while the database refuses writes, new
 * entries, deliveries and retries are kept in memory (src/outbox/held.ts), nothing is handed out
 * (a delivery whose done could not be written would be repeated), and all of it is written back
 * inside the store's write-back transaction once the file takes writes again.
 */
import type Database from 'better-sqlite3';
import type { Logger } from '../core/log.js';
import type { StoreWriteBack } from '../bans/store.js';
import { OutboxHold } from './held.js';

/** The store the outbox lives in (BanStore): its database and its degraded mode. */
export interface OutboxHome {
  /** The open database (read anew: a degraded start switches from a copy to the file). */
  readonly database: Database.Database;
  /** True while the database refuses writes. */
  readonly degraded: boolean;
  /** One of the outbox's writes was refused: the store turns degraded (and retries). */
  refused(e: Error): void;
  /** Runs `hook.write` inside the store's write-back transaction, `hook.committed` after it. */
  onWriteBack(hook: StoreWriteBack): void;
}

/** Options of an outbox. */
export interface OutboxOptions {
  /** The lines of the degraded mode. */
  readonly log?: Logger;
  /** New entries kept in memory at most while degraded (default OUTBOX_HELD_MAX). */
  readonly maxHeld?: number;
}

/** New entries kept in memory at most while the store is degraded. */
export const OUTBOX_HELD_MAX = 100_000;

/** While degraded, workers look again this often (ms) for the store to take writes. */
const DEGRADED_LOOK_MS = 1_000;

/** The order key of an entry that waits for, and holds back, every other entry of its channel. */
export const OUTBOX_BARRIER = '*';

/** The heads of order among a channel's entries `o`: no earlier entry of its key, no earlier barrier, and for a barrier nothing earlier at all. */
const HEAD_OF_ORDER = `NOT EXISTS (SELECT 1 FROM outbox p WHERE p.channel = o.channel AND p.order_key = o.order_key AND p.id < o.id)
        AND NOT EXISTS (SELECT 1 FROM outbox b WHERE b.channel = o.channel AND b.order_key = '${OUTBOX_BARRIER}' AND b.id < o.id)
        AND (o.order_key <> '${OUTBOX_BARRIER}' OR NOT EXISTS (SELECT 1 FROM outbox q WHERE q.channel = o.channel AND q.id < o.id))`;

/** One piece of work to queue. */
export interface OutboxItem {
  /** Who delivers it (one worker per channel), e.g. `action:sshd:abuseipdb`. */
  readonly channel: string;
  /** Unique per item within the channel (e.g. jail, address, ban time, operation). */
  readonly dedupeKey: string;
  /** Items with the same order key are delivered one after the other, in enqueue order (OUTBOX_BARRIER: after all, before all later). */
  readonly orderKey: string;
  /** JSON-serialisable content handed to the deliverer. */
  readonly payload: unknown;
  /** Not delivered before this time (ms since the epoch); default: the enqueue time. */
  readonly notBefore?: number;
  /** Dropped undelivered after this time (ms); null or absent: never. */
  readonly expiresAt?: number | null;
}

/** A queued entry as read back. */
export interface OutboxEntry<T = unknown> {
  readonly id: number;
  readonly channel: string;
  readonly dedupeKey: string;
  readonly orderKey: string;
  readonly payload: T;
  readonly createdAt: number;
  readonly notBefore: number;
  readonly expiresAt: number | null;
  /** Failed deliveries so far. */
  readonly attempts: number;
  readonly lastError: string | null;
}

interface Row {
  id: number; channel: string; dedupe_key: string; order_key: string; payload: string;
  created_at: number; not_before: number; expires_at: number | null; attempts: number; last_error: string | null;
}

/** Longest error text kept per entry (characters); peers' answers are attacker-sized. */
const ERROR_CHARS = 1000;

function toEntry(r: Row): OutboxEntry {
  let payload: unknown;
  try { payload = JSON.parse(r.payload); } catch { payload = null; }
  return {
    id: r.id, channel: r.channel, dedupeKey: r.dedupe_key, orderKey: r.order_key, payload,
    createdAt: r.created_at, notBefore: r.not_before, expiresAt: r.expires_at, attempts: r.attempts, lastError: r.last_error,
  };
}

/** The outbox's prepared statements on one database handle. */
function prepare(db: Database.Database) {
  return {
    insert: db.prepare(`INSERT INTO outbox (channel, dedupe_key, order_key, payload, created_at, not_before, expires_at)
      SELECT @channel, @key, @order, @payload, @now, @notBefore, @expiresAt
      WHERE NOT EXISTS (SELECT 1 FROM outbox_done WHERE channel = @channel AND dedupe_key = @key)
      ON CONFLICT (channel, dedupe_key) DO NOTHING`),
    due: db.prepare<[string, number, string, number], Row>(`SELECT * FROM outbox o WHERE o.channel = ? AND o.not_before <= ?
      AND o.id NOT IN (SELECT value FROM json_each(?)) AND ${HEAD_OF_ORDER} ORDER BY o.not_before, o.id LIMIT ?`),
    nextAt: db.prepare<[string, number], { t: number | null }>(`SELECT min(o.not_before) AS t FROM outbox o WHERE o.channel = ? AND o.not_before > ?
      AND ${HEAD_OF_ORDER}`),
    get: db.prepare<[number], Row>('SELECT * FROM outbox WHERE id = ?'),
    remember: db.prepare(`INSERT INTO outbox_done (channel, dedupe_key, done_at) SELECT channel, dedupe_key, ? FROM outbox WHERE id = ?
      ON CONFLICT (channel, dedupe_key) DO UPDATE SET done_at = excluded.done_at`),
    remove: db.prepare('DELETE FROM outbox WHERE id = ?'),
    retry: db.prepare('UPDATE outbox SET attempts = attempts + 1, not_before = ?, last_error = ? WHERE id = ?'),
    depthAll: db.prepare<[], { n: number }>('SELECT count(*) AS n FROM outbox'),
    depthOne: db.prepare<[string], { n: number }>('SELECT count(*) AS n FROM outbox WHERE channel = ?'),
    depthByChannel: db.prepare<[], { channel: string; n: number }>('SELECT channel, count(*) AS n FROM outbox GROUP BY channel'),
    purge: db.prepare('DELETE FROM outbox_done WHERE done_at < ?'),
    dropChannel: db.prepare('DELETE FROM outbox WHERE channel = ?'),
  };
}

function isHome(x: Database.Database | OutboxHome): x is OutboxHome {
  return 'onWriteBack' in x;
}

/** The outbox over the store's database. Every method is one statement or one transaction. */
export class Outbox {
  private db: Database.Database;
  private stmt: ReturnType<typeof prepare>;
  private readonly listeners = new Map<string, Set<() => void>>();
  private readonly home: OutboxHome | null;
  private readonly hold: OutboxHold;

  /**
   * `home`: the store (BanStore: part of its degraded mode) or a bare open database (writes that
   * fail throw); `now` stamps created_at and done_at.
   */
  constructor(home: Database.Database | OutboxHome, private readonly now: () => number = Date.now, options: OutboxOptions = {}) {
    this.home = isHome(home) ? home : null;
    this.db = isHome(home) ? home.database : home;
    this.stmt = prepare(this.db);
    this.hold = new OutboxHold(options.maxHeld ?? OUTBOX_HELD_MAX, options.log);
    this.home?.onWriteBack({ write: (db) => this.writeBack(db), committed: () => this.resumed() });
  }

  private get degraded(): boolean {
    return this.home?.degraded === true;
  }

  /** Runs a write; refused (or the store already degraded), `held` keeps it in memory instead. */
  private write<T>(fn: () => T, held: () => T): T {
    if (!this.degraded) {
      try {
        return fn();
      } catch (e) {
        if (!this.home) throw e;
        this.home.refused(e as Error);
      }
    }
    return held();
  }

  /**
   * Queues `items` in one transaction. Keys already queued or already delivered (outbox_done) are
   * ignored. Returns how many were queued; the channels' subscribers are told afterwards (after the
   * caller's own transaction, when called inside one).
   */
  enqueue(items: readonly OutboxItem[]): number {
    if (items.length === 0) return 0;
    const now = this.now();
    const queued = new Set<string>();
    const n = this.write(() => this.db.transaction(() => {
      let count = 0;
      for (const item of items) {
        if (this.insertItem(item, now) > 0) { count++; queued.add(item.channel); }
      }
      return count;
    })(), () => this.hold.enqueue(items, now));
    // Inside a caller's transaction (the store's, recording the bans) the rows are not committed yet
    // and may still be rolled back (a full disk fails at COMMIT): subscribers hear of them only after it.
    const tell = (): void => { for (const channel of queued) this.notify(channel); };
    if (this.db.inTransaction) queueMicrotask(tell);
    else tell();
    return n;
  }

  /**
   * Entries of `channel` due at `now` (not_before ≤ now) whose order key has no earlier pending
   * entry, oldest first, at most `limit`, leaving out the ids in `except` (deliveries running).
   */
  due(channel: string, now: number, limit: number, except: Iterable<number> = []): OutboxEntry[] {
    if (this.degraded) return [];
    return this.stmt.due.all(channel, now, JSON.stringify([...except]), Math.max(0, Math.floor(limit))).map(toEntry);
  }

  /** The earliest not_before after `now` among the channel's heads of order (null: none waiting). */
  nextAt(channel: string, now: number): number | null {
    if (this.degraded) return now + DEGRADED_LOOK_MS;
    return this.stmt.nextAt.get(channel, now)?.t ?? null;
  }

  /** One entry by id (undefined once done or dropped). */
  get(id: number): OutboxEntry | undefined {
    const row = this.stmt.get.get(id);
    return row ? toEntry(row) : undefined;
  }

  /** Delivered: the entry leaves the queue and its key is remembered in outbox_done. */
  done(id: number): void {
    this.finish(id);
  }

  /** Failed, to be tried again at `notBefore`; counts the attempt and keeps the error (bounded). */
  retry(id: number, notBefore: number, error: string): void {
    const text = error.slice(0, ERROR_CHARS);
    this.write(() => { this.stmt.retry.run(notBefore, text, id); }, () => this.hold.retry(id, notBefore, text));
  }

  /**
   * Given up (expired, refused for good): the entry leaves the queue. Its key is remembered like a
   * delivered one, so a producer enqueueing it again after a crash does not revive it. The reason
   * is the caller's to log.
   */
  drop(id: number, _reason: string): void {
    this.finish(id);
  }

  /** Entries queued, in one channel or in all. */
  depth(channel?: string): number {
    const stored = (channel === undefined ? this.stmt.depthAll.get() : this.stmt.depthOne.get(channel))?.n ?? 0;
    return stored + this.hold.delta(channel);
  }

  /** Entries queued per channel (channels with none are absent). */
  depths(): Map<string, number> {
    const out = new Map(this.stmt.depthByChannel.all().map((r) => [r.channel, r.n]));
    for (const [channel, d] of this.hold.deltas()) out.set(channel, (out.get(channel) ?? 0) + d);
    for (const [channel, n] of out) if (n <= 0) out.delete(channel);
    return out;
  }

  /** Forgets delivered keys older than `olderThan` (ms since the epoch); returns how many (0 while degraded). */
  purgeDone(olderThan: number): number {
    return this.write(() => this.stmt.purge.run(olderThan).changes, () => 0);
  }

  /**
   * Removes every entry of `channel` undelivered (its deliverer is gone for good); returns how many.
   * While degraded nothing is removed (0): the entries stay for the next start to drop.
   */
  dropChannel(channel: string): number {
    return this.write(() => this.stmt.dropChannel.run(channel).changes, () => 0);
  }

  /** Calls `fn` after each enqueue that queued something in `channel`; returns the unsubscriber. */
  subscribe(channel: string, fn: () => void): () => void {
    let set = this.listeners.get(channel);
    if (!set) this.listeners.set(channel, set = new Set());
    set.add(fn);
    return () => { set!.delete(fn); };
  }

  private finish(id: number): void {
    const now = this.now();
    this.write(() => this.db.transaction(() => this.finishRow(id, now))(), () => {
      let channel = '';
      try { channel = this.stmt.get.get(id)?.channel ?? ''; } catch { /* unreadable too: counted in no channel */ }
      this.hold.finish(id, channel, now);
    });
  }

  private finishRow(id: number, at: number): void {
    this.stmt.remember.run(at, id);
    this.stmt.remove.run(id);
  }

  /** Inside the store's write-back transaction: everything kept in memory (on `db`, which may be a new handle). */
  private writeBack(db: Database.Database): void {
    if (db !== this.db) {
      this.db = db;
      this.stmt = prepare(db);
    }
    if (this.hold.empty) return;
    this.hold.writeBack({
      finish: (id, at) => this.finishRow(id, at),
      retry: (id, notBefore, error) => { this.stmt.retry.run(notBefore, error, id); },
      insert: (item, at) => { this.insertItem(item, at); },
    });
  }

  /** The write-back committed: memory forgotten, every channel told (their workers look again). */
  private resumed(): void {
    this.hold.written();
    for (const channel of this.listeners.keys()) this.notify(channel);
  }

  private insertItem(item: OutboxItem, now: number): number {
    return this.stmt.insert.run({
      channel: item.channel, key: item.dedupeKey, order: item.orderKey, payload: JSON.stringify(item.payload ?? null),
      now, notBefore: item.notBefore ?? now, expiresAt: item.expiresAt ?? null,
    }).changes;
  }

  private notify(channel: string): void {
    for (const fn of this.listeners.get(channel) ?? []) {
      try { fn(); } catch { /* a subscriber's failure is its own; the items are queued */ }
    }
  }
}
