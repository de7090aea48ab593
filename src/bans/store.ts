/**
 * BanStore: the daemon's memory on disk (SQLite through better-sqlite3, WAL).
 * Current bans (what must be in the kernel), ban history (bantime.increment,
 * recidive, `f2b-fw history`) and log read positions. Every write is one
 * transaction; read positions wait for the ban manager's gate (written only
 * after the bans of the lines before them are committed), so a crash at any
 * moment loses no ban (docs/ARCHITECTURE.md, "Why kernel first loses no ban").
 * WAL with synchronous=NORMAL: a commit is a write() into the WAL, no fsync
 * (only checkpoints sync); it survives a killed process (commits sit in the OS
 * page cache); only a power cut can lose the last ones.
 *
 * A database that refuses writes (disk full, read-only file system, I/O error)
 * never throws into the daemon: the store turns *degraded*, keeps the changes
 * it could not write in memory (the overlay, merged into every read, so a
 * reconcile still sees the bans only the kernel holds), and `retry()` writes
 * them back once the file takes writes again (src/bans/store-overlay.ts).
 */
import Database from 'better-sqlite3';
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { EnvironmentError } from '../core/errors.js';
import type { Ban } from '../core/records.js';
import type { BanKey } from '../fw/driver.js';
import type { BanRecord, HistoryEntry } from './records.js';
import type { BanHistory } from '../jail/jail.js';
import type { FilePosition, PositionStore } from '../sources/source.js';
import { migrate } from './schema.js';
import { StoreOverlay, type StoreHealth } from './store-overlay.js';
import { banPieces, netContains, netOf } from '../core/prefix.js';

export type { StoreHealth } from './store-overlay.js';

/** A ban to record: what the manager hands the store before the kernel. */
export interface NewBan {
  readonly jail: string;
  readonly addr: string;
  readonly bannedAt: number;
  readonly expiresAt: number | null;
  readonly reason: string;
  readonly matches: readonly string[];
  /** For a prefix ban: the addresses (or narrower prefixes) it was made of. */
  readonly addresses?: number;
  /** For a prefix ban: the ignored networks inside it that the kernel's ranges leave out. */
  readonly except?: readonly string[];
}

/**
 * What read positions wait for: `ticket()` now, and how far work has `passed()`
 * (both counts that only grow; a position set at ticket T is written once passed() ≥ T).
 */
export interface PositionGate {
  ticket(): number;
  passed(): number;
}

/** The meta key a running daemon sets to '1' and a clean stop back to '0'. */
const RUNNING_KEY = 'daemon-running';

/** No gate: every position may be written at once. */
const OPEN_GATE: PositionGate = { ticket: () => 0, passed: () => 0 };

/** Read position of one log file. */
export type StoredPosition = FilePosition;

interface BanRow {
  jail: string; addr: string; banned_at: number; expires_at: number | null;
  ban_count: number; reason: string; matches: string; addresses: number | null; except_nets: string | null;
}

/** The optional prefix fields of a row, as a record has them. */
function prefixFields(r: { addresses: number | null; except_nets: string | null }): { addresses?: number; except?: string[] } {
  return {
    ...(r.addresses === null ? {} : { addresses: r.addresses }),
    ...(r.except_nets === null ? {} : { except: JSON.parse(r.except_nets) as string[] }),
  };
}
interface HistoryRow extends Omit<BanRow, 'ban_count'> { id: number; ended_at: number | null }

function toRecord(r: BanRow): BanRecord {
  return {
    jail: r.jail, addr: r.addr, bannedAt: r.banned_at, expiresAt: r.expires_at,
    banCount: r.ban_count, reason: r.reason, matches: JSON.parse(r.matches) as string[], ...prefixFields(r),
  };
}

/** The prefix columns of a new ban. */
function prefixColumns(b: NewBan): { addresses: number | null; exceptNets: string | null } {
  return { addresses: b.addresses ?? null, exceptNets: b.except && b.except.length > 0 ? JSON.stringify(b.except) : null };
}

/** A ban as the kernel holds it: a prefix split around ignored networks as its ranges. */
function kernelPieces(jail: string, addr: string, expiresAt: number | null, except: readonly string[] | undefined): Ban[] {
  if (except === undefined || except.length === 0) return [{ jail, addr, expiresAt }];
  return banPieces(addr, except).map((a) => ({ jail, addr: a, expiresAt }));
}

/** The store's prepared statements on one database handle. */
function prepare(db: Database.Database) {
  return {
    count: db.prepare<[string, string], { n: number }>('SELECT max((SELECT count(*) FROM history WHERE addr = ?), coalesce((SELECT max(ban_count) FROM bans WHERE addr = ?), 0)) AS n'),
    countJail: db.prepare<[string, string, string, string], { n: number }>('SELECT max((SELECT count(*) FROM history WHERE addr = ? AND jail = ?), coalesce((SELECT ban_count FROM bans WHERE addr = ? AND jail = ?), 0)) AS n'),
    // Set-based: one JSON array of keys or rows per statement, whatever the batch size (json_each keeps the order in `key`).
    counts: db.prepare<[string], number>(`SELECT max((SELECT count(*) FROM history h WHERE h.addr = k.a AND h.jail = k.j),
      coalesce((SELECT ban_count FROM bans b WHERE b.addr = k.a AND b.jail = k.j), 0)) FROM (SELECT key, value->>0 AS j, value->>1 AS a FROM json_each(?)) k ORDER BY k.key`).pluck(),
    getMany: db.prepare<[string, number], BanRow & { i: number }>(`SELECT k.key AS i, b.* FROM json_each(?) k JOIN bans b ON b.jail = k.value->>0 AND b.addr = k.value->>1
      WHERE b.expires_at IS NULL OR b.expires_at > ?`),
    insertHistory: db.prepare<[string]>(`INSERT INTO history (jail, addr, banned_at, expires_at, ended_at, reason, matches, addresses, except_nets)
      SELECT value->>0, value->>1, value->>2, value->>3, NULL, value->>4, value->>5, value->>6, value->>7 FROM json_each(?) ORDER BY key`),
    endHistory: db.prepare('UPDATE history SET ended_at = ? WHERE id = (SELECT history_id FROM bans WHERE jail = ? AND addr = ?)'),
    // History ids of one INSERT … SELECT are consecutive (each row gets max(id) + 1): row `key` got `first + key`.
    upsert: db.prepare<[number, string]>(`INSERT INTO bans (jail, addr, banned_at, expires_at, ban_count, reason, matches, history_id, addresses, except_nets)
      SELECT value->>0, value->>1, value->>2, value->>3, value->>8, value->>4, value->>5, ? + key, value->>6, value->>7 FROM json_each(?) WHERE true ORDER BY key
      ON CONFLICT (jail, addr) DO UPDATE SET banned_at = excluded.banned_at, expires_at = excluded.expires_at,
        ban_count = excluded.ban_count, reason = excluded.reason, matches = excluded.matches, history_id = excluded.history_id,
        addresses = excluded.addresses, except_nets = excluded.except_nets`),
    jailPrefixes: db.prepare<[string, number], BanRow>("SELECT * FROM bans WHERE jail = ? AND addr LIKE '%/%' AND (expires_at IS NULL OR expires_at > ?)"),
    prefixCountJail: db.prepare<[string, number], { n: number }>("SELECT count(*) AS n FROM bans WHERE jail = ? AND addr LIKE '%/%' AND (expires_at IS NULL OR expires_at > ?)"),
    jailBans: db.prepare<[string, number], { addr: string }>('SELECT addr FROM bans WHERE jail = ? AND (expires_at IS NULL OR expires_at > ?)'),
    remove: db.prepare('DELETE FROM bans WHERE jail = ? AND addr = ?'),
    extend: db.prepare('UPDATE bans SET expires_at = ? WHERE jail = ? AND addr = ?'),
    extendHistory: db.prepare('UPDATE history SET expires_at = ? WHERE id = (SELECT history_id FROM bans WHERE jail = ? AND addr = ?)'),
    currentAll: db.prepare<[number], BanRow>('SELECT * FROM bans WHERE expires_at IS NULL OR expires_at > ? ORDER BY banned_at'),
    currentJail: db.prepare<[number, string], BanRow>('SELECT * FROM bans WHERE (expires_at IS NULL OR expires_at > ?) AND jail = ? ORDER BY banned_at'),
    // Rows in the driver's shape (expiresAt), handed over as they are: no object per ban made again.
    forDriver: db.prepare<[number], Ban & { except_nets: string | null }>('SELECT jail, addr, expires_at AS expiresAt, except_nets FROM bans WHERE expires_at IS NULL OR expires_at > ?'),
    get: db.prepare<[string, string], BanRow>('SELECT * FROM bans WHERE jail = ? AND addr = ?'),
    byAddr: db.prepare<[string, number], BanRow>('SELECT * FROM bans WHERE addr = ? AND (expires_at IS NULL OR expires_at > ?)'),
    prefixes: db.prepare<[number], BanRow>("SELECT * FROM bans WHERE addr LIKE '%/%' AND (expires_at IS NULL OR expires_at > ?)"),
    currentCountJail: db.prepare<[number, string], { n: number }>('SELECT count(*) AS n FROM bans WHERE (expires_at IS NULL OR expires_at > ?) AND jail = ?'),
    currentCountAll: db.prepare<[number], { n: number }>('SELECT count(*) AS n FROM bans WHERE expires_at IS NULL OR expires_at > ?'),
    expired: db.prepare<[number], BanRow>('SELECT * FROM bans WHERE expires_at IS NOT NULL AND expires_at <= ?'),
    deleteExpired: db.prepare('DELETE FROM bans WHERE expires_at IS NOT NULL AND expires_at <= ?'),
    history: db.prepare<[string], HistoryRow>('SELECT * FROM history WHERE addr = ? ORDER BY banned_at DESC, id DESC'),
    prefixHistory: db.prepare<[], HistoryRow>("SELECT * FROM history WHERE addr LIKE '%/%' ORDER BY banned_at DESC, id DESC"),
    // `banned_at < cutoff` holds for every row the first test keeps (a ban ends or expires after it began) and lets
    // history_banned_at pick the candidates: at a start with 100,000 recent bans this was a scan of history and of bans
    // (for the NOT IN list) costing 270 ms; now ~0.4 ms. A clock stepped back only delays a purge until banned_at passes too.
    purge: db.prepare('DELETE FROM history WHERE banned_at < @cutoff AND coalesce(ended_at, expires_at, banned_at) < @cutoff AND id NOT IN (SELECT history_id FROM bans)'),
    // One index step per jail (the primary key leads with jail), not a scan of every ban: DISTINCT read all 100,000 rows at each start.
    jails: db.prepare<[], { jail: string }>(`WITH RECURSIVE j(jail) AS (SELECT min(jail) FROM bans
      UNION ALL SELECT (SELECT min(jail) FROM bans WHERE jail > j.jail) FROM j WHERE j.jail IS NOT NULL) SELECT jail FROM j WHERE jail IS NOT NULL`),
    getPos: db.prepare<[string], { offset: number; first_line_hash: string; inode: number | null }>('SELECT offset, first_line_hash, inode FROM positions WHERE path = ?'),
    getMeta: db.prepare<[string], string>('SELECT value FROM meta WHERE key = ?').pluck(),
    setMeta: db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value'),
    setPos: db.prepare('INSERT INTO positions (path, offset, first_line_hash, inode) VALUES (?, ?, ?, ?) ON CONFLICT (path) DO UPDATE SET offset = excluded.offset, first_line_hash = excluded.first_line_hash, inode = excluded.inode'),
  };
}

/** A module with tables of its own in the store's database (the outbox), written back with the store's overlay. */
export interface StoreWriteBack {
  /** Inside the write-back transaction, on the database now in use; throwing rolls it all back. */
  write(db: Database.Database): void;
  /** After the write-back committed (the store is ok again). */
  committed(): void;
}

/** The SQLite store. Implements the jail's BanHistory and the sources' PositionStore. */
export class BanStore implements BanHistory, PositionStore {
  readonly file: string;
  /** True when the database held no schema before this start (new, emptied or unreadable file). */
  readonly fresh: boolean;
  private db: Database.Database;
  private stmt: ReturnType<typeof prepare>;
  /** The database in use is an in-memory copy: the file could not be opened for writing. */
  private copyOnly: boolean;
  private readonly overlay = new StoreOverlay();
  /** Read positions not written yet, per path in the order they were set, each with the gate's ticket then. */
  private readonly pendingPositions = new Map<string, { pos: StoredPosition; ticket: number }[]>();
  private positionsScheduled = false;
  private readonly writeBacks: StoreWriteBack[] = [];
  private gate: PositionGate = OPEN_GATE;
  /** A daemon runs on this store (claimRun): close() records the clean stop. */
  private claimed = false;

  private constructor(file: string, db: Database.Database, fresh: boolean, copyOnly = false) {
    this.file = file;
    this.db = db;
    this.fresh = fresh;
    this.copyOnly = copyOnly;
    this.stmt = prepare(db);
  }


  /** Opens (creating folder and file if needed) and migrates the store at `file` (`:memory:` allowed); throws when it cannot. */
  static open(file: string): BanStore {
    const { db, fresh } = openFile(file);
    return new BanStore(file, db, fresh);
  }

  /**
   * The daemon's open: a database that cannot be opened for writing (read-only
   * file system, full disk, unwritable folder) gives a degraded store working on
   * an in-memory copy of what the file holds (empty, and `fresh`, when even that
   * cannot be read); `retry()` switches to the file once it takes writes. A
   * database from a newer f2b-fw is still refused.
   */
  static openDegradable(file: string): BanStore {
    try {
      return BanStore.open(file);
    } catch (e) {
      const copy = readableCopy(file);
      migrate(copy.db, file);
      const store = new BanStore(file, copy.db, copy.fresh, true);
      store.overlay.fail(e as Error);
      return store;
    }
  }

  /** The bans in force at `now` in a store file, for `f2b-fw reconcile` without a daemon. */
  static readBans(file: string, now: number): Ban[] {
    const store = BanStore.open(file);
    try {
      return store.bansForKernel(now);
    } finally {
      store.close();
    }
  }

  /** Ok or degraded, with the bans only memory holds. */
  health(now: number): StoreHealth {
    return this.overlay.health(now);
  }

  /** True while the database refuses writes (changes are kept in memory). */
  get degraded(): boolean {
    return this.overlay.degraded;
  }

  /** A write of a module with tables here (the outbox) was refused: the store turns degraded and retries. */
  refused(e: Error): void {
    this.overlay.fail(e);
  }

  /** Registers a module's write-back, run by `retry()` inside its transaction. */
  onWriteBack(hook: StoreWriteBack): void {
    this.writeBacks.push(hook);
  }

  /** Calls `fn` whenever the store turns degraded or ok again. */
  onHealthChange(fn: (h: StoreHealth) => void): void {
    this.overlay.onChange(fn);
  }

  /**
   * Runs a write: straight to the database while it is healthy; when it refuses
   * (or already refused), `degraded` records the change in the overlay instead.
   */
  private write<T>(fn: () => T, degraded: () => T): T {
    if (!this.overlay.degraded) {
      try {
        return this.db.transaction(fn)();
      } catch (e) {
        this.overlay.fail(e as Error);
      }
    }
    return degraded();
  }

  /** BanHistory: how many times `addr` was banned (in `jail`, or in any jail); imported counts included. */
  banCount(addr: string, jail?: string): number {
    const stored = (jail === undefined ? this.stmt.count.get(addr, addr) : this.stmt.countJail.get(addr, jail, addr, jail))?.n ?? 0;
    if (this.overlay.size === 0) return stored;
    const own = this.overlay.bans(Number.NEGATIVE_INFINITY).filter((r) => r.addr === addr && (jail === undefined || r.jail === jail));
    return Math.max(stored, ...own.map((r) => r.banCount));
  }

  /**
   * Records bans in one transaction: each becomes (or replaces) the current ban of
   * its jail+address and gets a history entry. Returns the stored records
   * (kept in memory, and written back later, when the database refuses).
   * Set-based: one query for the ban counts and two statements for the rows, however many bans.
   */
  addBans(bans: readonly NewBan[]): BanRecord[] {
    if (bans.length === 0) return [];
    return this.write(() => {
      const counts = this.banCounts(bans);
      const records = bans.map((b, i): BanRecord => ({ ...b, banCount: counts[i]! + 1, matches: [...b.matches] }));
      this.insertBans(records);
      return records;
    }, () => bans.map((b) => {
      const r: BanRecord = { ...b, banCount: this.banCount(b.addr, b.jail) + 1, matches: [...b.matches] };
      this.overlay.ban(r);
      return r;
    }));
  }

  /** How many times each ban's address was banned in its jail before, in one query; a key repeated in `keys` counts its earlier copies. */
  private banCounts(keys: readonly BanKey[]): number[] {
    const stored = this.stmt.counts.all(JSON.stringify(keys.map((k) => [k.jail, k.addr])));
    const seen = new Map<string, number>();
    return stored.map((n, i) => {
      const key = `${keys[i]!.jail} ${keys[i]!.addr}`;
      const before = seen.get(key);
      seen.set(key, before === undefined ? n + 1 : before + 1);
      return before ?? n;
    });
  }

  /** Writes records as current bans with one history row each: two statements in all. */
  private insertBans(records: readonly BanRecord[]): void {
    if (records.length === 0) return;
    const rows = JSON.stringify(records.map((r) => {
      const { addresses, exceptNets } = prefixColumns(r);
      return [r.jail, r.addr, r.bannedAt, r.expiresAt, r.reason, JSON.stringify(r.matches), addresses, exceptNets, r.banCount];
    }));
    const last = Number(this.stmt.insertHistory.run(rows).lastInsertRowid);
    this.stmt.upsert.run(last - records.length + 1, rows);
  }

  /**
   * Adds bans made elsewhere (a fail2ban database) keeping their times and ban
   * counts; a ban the store already holds for longer is left alone; an imported prefix
   * folds in the bans of its jail it covers. Returns how many were added.
   */
  importBans(bans: readonly (NewBan & { readonly banCount: number })[], now: number): number {
    return this.db.transaction(() => bans.filter((b) => {
      const existing = this.stmt.get.get(b.jail, b.addr);
      if (existing && (existing.expires_at === null || (b.expiresAt !== null && existing.expires_at >= b.expiresAt))) return false;
      this.insertBans([{ ...b, banCount: Math.max(b.banCount, this.banCount(b.addr, b.jail)) }]);
      if (b.addr.includes('/')) this.fold(b.jail, b.addr, now);
      return true;
    }).length)();
  }

  /** Ends bans early (manual unban, jail removed): out of current, history marks the end. Returns those that were in force. */
  removeBans(keys: readonly BanKey[], endedAt: number): BanKey[] {
    return this.write(() => keys.filter((k) => {
      this.stmt.endHistory.run(endedAt, k.jail, k.addr);
      return this.stmt.remove.run(k.jail, k.addr).changes > 0;
    }), () => keys.filter((k) => {
      const was = this.currentBan(k.jail, k.addr, Number.NEGATIVE_INFINITY) !== undefined;
      this.overlay.end(k.jail, k.addr, endedAt);
      return was;
    }));
  }

  /** Moves the expiry of a ban in force (a manual re-ban); returns the updated record, undefined when not banned. */
  extendBan(jail: string, addr: string, expiresAt: number | null, now: number): BanRecord | undefined {
    const current = this.currentBan(jail, addr, now);
    if (!current) return undefined;
    const updated = { ...current, expiresAt };
    return this.write(() => {
      this.stmt.extendHistory.run(expiresAt, jail, addr);
      this.stmt.extend.run(expiresAt, jail, addr);
      return updated;
    }, () => {
      this.overlay.ban(updated);
      return updated;
    });
  }

  /** The current ban of one jail+address, if in force at `now`. */
  currentBan(jail: string, addr: string, now: number): BanRecord | undefined {
    const o = this.overlay.get(jail, addr);
    if (o) return o.kind === 'ban' && (o.record.expiresAt === null || o.record.expiresAt > now) ? o.record : undefined;
    const r = this.stmt.get.get(jail, addr);
    return r && (r.expires_at === null || r.expires_at > now) ? toRecord(r) : undefined;
  }

  /** The current ban in force at `now` of each jail+address (undefined where none), in one query. */
  currentBans(keys: readonly BanKey[], now: number): (BanRecord | undefined)[] {
    if (this.overlay.size > 0) return keys.map((k) => this.currentBan(k.jail, k.addr, now));
    const out: (BanRecord | undefined)[] = new Array<BanRecord | undefined>(keys.length).fill(undefined);
    if (keys.length === 0) return out;
    for (const r of this.stmt.getMany.all(JSON.stringify(keys.map((k) => [k.jail, k.addr])), now)) out[r.i] = toRecord(r);
    return out;
  }

  /** Database rows the overlay does not speak for, plus the overlay's bans that pass `keep`. */
  private merged(rows: BanRecord[], now: number, keep: (r: BanRecord) => boolean): BanRecord[] {
    if (this.overlay.size === 0) return rows;
    const out = rows.filter((r) => !this.overlay.covers(r.jail, r.addr));
    out.push(...this.overlay.bans(now).filter(keep));
    return out.sort((a, b) => a.bannedAt - b.bannedAt);
  }

  /** Bans in force at `now` of exactly `addr` (any jail), and, with `prefixes`, of every prefix too. */
  currentFor(addr: string, now: number, prefixes = false): BanRecord[] {
    const rows = this.stmt.byAddr.all(addr, now);
    if (prefixes) rows.push(...this.stmt.prefixes.all(now).filter((r) => r.addr !== addr));
    return this.merged(rows.map(toRecord), now, (r) => r.addr === addr || (prefixes && r.addr.includes('/')));
  }

  /**
   * Bans in force at `now` in `jail` that `prefix` covers (itself excepted): what a
   * new prefix ban folds in. One scan of the jail's bans; prefix bans are rare.
   */
  coveredBy(jail: string, prefix: string, now: number): BanKey[] {
    const outer = netOf(prefix);
    if (outer === null) return [];
    const inside = (addr: string): boolean => {
      const n = addr === prefix ? null : netOf(addr);
      return n !== null && netContains(outer, n);
    };
    const addrs = this.stmt.jailBans.all(jail, now).map((r) => r.addr);
    if (this.overlay.size > 0) addrs.push(...this.overlay.bans(now).filter((r) => r.jail === jail).map((r) => r.addr));
    return [...new Set(addrs)].filter(inside).map((addr) => ({ jail, addr }));
  }

  /** Ends (at `now`) the bans of `jail` that `prefix` covers, itself excepted; returns them and their kernel keys. */
  fold(jail: string, prefix: string, now: number): { ended: BanKey[]; kernel: BanKey[] } {
    const covered = this.coveredBy(jail, prefix, now);
    if (covered.length === 0) return { ended: [], kernel: [] };
    const kernel = this.kernelKeys(covered);
    return { ended: this.removeBans(covered, now), kernel };
  }

  /** The prefix bans in force at `now` in `jail` (or any jail) that cover `addr` (address or prefix), itself excepted. */
  holding(addr: string, now: number, jail?: string): BanRecord[] {
    const inner = netOf(addr);
    if (inner === null) return [];
    const rows = (jail === undefined ? this.stmt.prefixes.all(now) : this.stmt.jailPrefixes.all(jail, now)).map(toRecord);
    return this.merged(rows, now, (r) => r.addr.includes('/') && (jail === undefined || r.jail === jail))
      .filter((r) => { const n = netOf(r.addr); return r.addr !== addr && n !== null && netContains(n, inner); });
  }

  /** How many prefix bans are in force at `now` in `jail`. */
  countPrefixes(now: number, jail: string): number {
    if (this.overlay.size > 0) return this.current(now, jail).filter((r) => r.addr.includes('/')).length;
    return this.stmt.prefixCountJail.get(jail, now)?.n ?? 0;
  }

  /** How many bans are in force at `now` (one jail or all). */
  countCurrent(now: number, jail?: string): number {
    if (this.overlay.size > 0) return this.current(now, jail).length;
    return (jail === undefined ? this.stmt.currentCountAll.get(now) : this.stmt.currentCountJail.get(now, jail))?.n ?? 0;
  }

  /** Bans in force at `now` (one jail or all), oldest first. */
  current(now: number, jail?: string): BanRecord[] {
    const rows = jail === undefined ? this.stmt.currentAll.all(now) : this.stmt.currentJail.all(now, jail);
    return this.merged(rows.map(toRecord), now, (r) => jail === undefined || r.jail === jail);
  }

  /**
   * Bans in force at `now` in the driver's shape (cheap: no matches parsed); unwritten ones
   * included; a prefix split around ignored networks as its ranges.
   */
  bansForKernel(now: number): Ban[] {
    const rows = this.stmt.forDriver.all(now);
    const out = this.overlay.size === 0 ? rows : rows.filter((r) => !this.overlay.covers(r.jail, r.addr));
    const bans: Ban[] = [];
    for (const r of out) {
      if (r.except_nets === null) bans.push(r);
      else bans.push(...kernelPieces(r.jail, r.addr, r.expiresAt, JSON.parse(r.except_nets) as string[]));
    }
    for (const r of this.overlay.size === 0 ? [] : this.overlay.bans(now)) bans.push(...kernelPieces(r.jail, r.addr, r.expiresAt, r.except));
    return bans;
  }

  /** What `keys` are in the kernel: a prefix split around ignored networks as its ranges (read before they are removed). */
  kernelKeys(keys: readonly BanKey[]): BanKey[] {
    return keys.flatMap((k) => {
      const r = k.addr.includes('/') ? this.currentBan(k.jail, k.addr, Number.NEGATIVE_INFINITY) : undefined;
      return r?.except && r.except.length > 0 ? banPieces(k.addr, r.except).map((addr) => ({ jail: k.jail, addr })) : [k];
    });
  }

  /** Jails that hold current bans (expired included until swept). */
  jailsWithBans(): string[] {
    const jails = new Set(this.stmt.jails.all().map((r) => r.jail));
    for (const r of this.overlay.bans(Number.NEGATIVE_INFINITY)) jails.add(r.jail);
    return [...jails];
  }

  /** Moves bans whose time is up out of current (history keeps them); returns them. */
  expire(now: number): BanRecord[] {
    const due = (): BanRecord[] => [
      ...this.stmt.expired.all(now).filter((r) => !this.overlay.covers(r.jail, r.addr)).map(toRecord),
      ...this.overlay.expired(now),
    ];
    return this.write(() => {
      const rows = due();
      if (rows.length > 0) this.stmt.deleteExpired.run(now);
      return rows;
    }, () => {
      const rows = due();
      for (const r of rows) this.overlay.end(r.jail, r.addr, null);
      return rows;
    });
  }

  /** Every recorded ban of `addr`, newest first (unwritten ones included); with `covering`, the bans of prefixes holding it too. */
  history(addr: string, covering = false): HistoryEntry[] {
    const rows = this.stmt.history.all(addr);
    const inner = covering ? netOf(addr) : null;
    if (inner !== null) {
      const holds = (r: HistoryRow): boolean => { const n = r.addr === addr ? null : netOf(r.addr); return n !== null && netContains(n, inner); };
      rows.push(...this.stmt.prefixHistory.all().filter(holds));
      rows.sort((a, b) => b.banned_at - a.banned_at || b.id - a.id);
    }
    const stored = rows.map((r): HistoryEntry => ({
      jail: r.jail, addr: r.addr, bannedAt: r.banned_at, expiresAt: r.expires_at, endedAt: r.ended_at,
      reason: r.reason, matches: JSON.parse(r.matches) as string[], ...prefixFields(r),
    }));
    const unwritten = this.overlay.bans(Number.NEGATIVE_INFINITY).filter((r) => r.addr === addr)
      .map((r): HistoryEntry => ({ jail: r.jail, addr: r.addr, bannedAt: r.bannedAt, expiresAt: r.expiresAt, endedAt: null, reason: r.reason, matches: r.matches }));
    return unwritten.length === 0 ? stored : [...unwritten, ...stored].sort((a, b) => b.bannedAt - a.bannedAt);
  }

  /** Deletes history older than `ageSec` (dbpurgeage) that no current ban refers to; returns rows removed (0 while degraded). */
  purge(now: number, ageSec: number): number {
    return this.write(() => this.stmt.purge.run({ cutoff: now - ageSec * 1000 }).changes, () => 0);
  }

  /** PositionStore: where reading `path` stopped. */
  get(path: string): StoredPosition | undefined {
    const pending = this.pendingPositions.get(path);
    if (pending) return pending[pending.length - 1]!.pos;
    const r = this.stmt.getPos.get(path);
    return r && { offset: r.offset, firstLineHash: r.first_line_hash, ...(r.inode === null ? {} : { inode: r.inode }) };
  }

  /**
   * Read positions wait for `gate`: a position set while the gate's ticket was T is written
   * only once the gate has passed T (the ban manager: once the bans of the lines before it
   * are committed), so a crash re-reads lines rather than losing a ban.
   */
  gatePositions(gate: PositionGate): void {
    this.gate = gate;
  }

  /**
   * PositionStore: remembers where reading `path` stopped. Written on the next event-loop
   * turn, or later, once the bans of the lines before it are committed (`gatePositions`).
   * While degraded they wait in memory for `retry()`.
   */
  set(path: string, pos: StoredPosition): void {
    const list = this.pendingPositions.get(path);
    const entry = { pos, ticket: this.gate.ticket() };
    if (list) list.push(entry);
    else this.pendingPositions.set(path, [entry]);
    if (this.positionsScheduled || this.overlay.degraded) return;
    this.positionsScheduled = true;
    setImmediate(() => this.flushPositions());
  }

  /** Writes the buffered read positions the gate has passed, in one transaction (kept for `retry()` when the database refuses). */
  flushPositions(): void {
    this.positionsScheduled = false;
    if (this.pendingPositions.size === 0 || !this.db.open) return;
    this.write(() => this.writePositions(), () => undefined);
  }

  /** Writes, per path, the newest position the gate has passed and forgets it and the older ones. */
  private writePositions(): void {
    const passed = this.gate.passed();
    for (const [path, list] of this.pendingPositions) {
      let ready = -1;
      for (let i = 0; i < list.length; i++) if (list[i]!.ticket <= passed) ready = i;
      if (ready < 0) continue;
      const { pos } = list[ready]!;
      this.stmt.setPos.run(path, pos.offset, pos.firstLineHash, pos.inode ?? null);
      if (ready === list.length - 1) this.pendingPositions.delete(path);
      else list.splice(0, ready + 1);
    }
  }

  /**
   * While degraded: tries to write everything kept in memory (switching from
   * the in-memory copy to the file first, when the file could not be opened).
   * Returns true when the store is healthy afterwards.
   */
  retry(): boolean {
    if (!this.overlay.degraded) return true;
    try {
      if (this.copyOnly) {
        const { db } = openFile(this.file);
        this.db.close();
        this.db = db;
        this.stmt = prepare(db);
        this.copyOnly = false;
      }
      this.db.transaction(() => {
        for (const c of this.overlay.all()) {
          if (c.kind === 'ban') {
            this.insertBans([c.record]);
          } else {
            if (c.endedAt !== null) this.stmt.endHistory.run(c.endedAt, c.jail, c.addr);
            this.stmt.remove.run(c.jail, c.addr);
          }
        }
        this.writePositions();
        for (const w of this.writeBacks) w.write(this.db);
      })();
    } catch (e) {
      this.overlay.fail(e as Error);
      return false;
    }
    this.overlay.recovered();
    for (const w of this.writeBacks) w.committed();
    return true;
  }

  /**
   * The open database, for modules that keep tables of their own in it (src/outbox).
   * A degraded start works on an in-memory copy until `retry()` reaches the file: read it anew each time.
   */
  get database(): Database.Database {
    return this.db;
  }

  /**
   * Runs `fn` in one transaction (several store writes that belong together).
   * When the database refuses the transaction (a full disk fails at COMMIT) the
   * store turns degraded and `fn` runs once more outside a transaction, so the
   * store's own writes in it land in the overlay; while degraded it runs so directly.
   */
  transaction<T>(fn: () => T): T {
    if (this.overlay.degraded) return fn();
    try {
      return this.db.transaction(fn)();
    } catch (e) {
      this.overlay.fail(e as Error);
      return fn();
    }
  }

  /**
   * Marks the store as used by a running daemon. True when the daemon before did not stop
   * cleanly (killed, crashed, power cut): the kernel may then hold bans of its last moments
   * that the store does not (the ban manager puts bans into the kernel before committing them).
   * False when the mark cannot be written (degraded).
   */
  claimRun(): boolean {
    const unclean = this.write(() => {
      const was = this.stmt.getMeta.get(RUNNING_KEY) === '1';
      this.stmt.setMeta.run(RUNNING_KEY, '1');
      return was;
    }, () => false);
    this.claimed = true;
    return unclean;
  }

  /** Writes buffered positions and closes the database (checkpointing the WAL); a degraded store tries once more first. */
  close(): void {
    if (this.overlay.degraded) this.retry();
    else this.flushPositions();
    if (this.claimed && this.db.open) this.write(() => this.stmt.setMeta.run(RUNNING_KEY, '0'), () => undefined);
    if (this.db.open) this.db.close();
  }
}

/** Opens and migrates the database file for writing. */
function openFile(file: string): { db: Database.Database; fresh: boolean } {
  let db: Database.Database;
  try {
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('busy_timeout = 5000');
    db.pragma('foreign_keys = ON');
  } catch (e) {
    throw new EnvironmentError(`cannot open the ban database ${file}: ${(e as Error).message}`, { cause: e });
  }
  const fresh = db.pragma('user_version', { simple: true }) === 0;
  try {
    migrate(db, file);
  } catch (e) {
    db.close();
    throw e;
  }
  return { db, fresh };
}

/**
 * An in-memory copy of what `file` holds, for a degraded start: its bytes with
 * the header's WAL flag cleared (bytes 18–19: a WAL database cannot be opened
 * read-only where its -shm cannot be created); empty when it cannot be read.
 */
function readableCopy(file: string): { db: Database.Database; fresh: boolean } {
  try {
    const bytes = readFileSync(file);
    if (bytes.length >= 100 && bytes[18] === 2) bytes[18] = bytes[19] = 1;
    const db = new Database(bytes);
    return { db, fresh: db.pragma('user_version', { simple: true }) === 0 };
  } catch {
    return { db: new Database(':memory:'), fresh: true };
  }
}
