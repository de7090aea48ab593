/**
 * BanStore: the daemon's memory on disk (SQLite through better-sqlite3, WAL).
 * Current bans (what must be in the kernel), ban history (bantime.increment,
 * recidive, `f2b-fw history`) and log read positions. Every write is one
 * transaction, committed before the kernel is touched, so a crash at any
 * moment loses no ban. WAL with synchronous=NORMAL survives a killed process
 * (commits sit in the OS page cache); only a power cut can lose the last ones.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { EnvironmentError } from '../core/errors.js';
import type { Ban } from '../core/records.js';
import type { BanKey } from '../fw/driver.js';
import type { BanRecord, HistoryEntry } from './records.js';
import type { BanHistory } from '../jail/jail.js';
import type { FilePosition, PositionStore } from '../sources/source.js';
import { migrate } from './schema.js';
import { banPieces, netContains, netOf } from '../core/prefix.js';

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

/** The SQLite store. Implements the jail's BanHistory and the sources' PositionStore. */
export class BanStore implements BanHistory, PositionStore {
  readonly file: string;
  private readonly db: Database.Database;
  private readonly stmt;
  private readonly pendingPositions = new Map<string, StoredPosition>();
  private positionsScheduled = false;

  private constructor(file: string, db: Database.Database) {
    this.file = file;
    this.db = db;
    this.stmt = {
      count: db.prepare<[string, string], { n: number }>('SELECT max((SELECT count(*) FROM history WHERE addr = ?), coalesce((SELECT max(ban_count) FROM bans WHERE addr = ?), 0)) AS n'),
      countJail: db.prepare<[string, string, string, string], { n: number }>('SELECT max((SELECT count(*) FROM history WHERE addr = ? AND jail = ?), coalesce((SELECT ban_count FROM bans WHERE addr = ? AND jail = ?), 0)) AS n'),
      insertHistory: db.prepare('INSERT INTO history (jail, addr, banned_at, expires_at, ended_at, reason, matches, addresses, except_nets) VALUES (?, ?, ?, ?, NULL, ?, ?, ?, ?)'),
      endHistory: db.prepare('UPDATE history SET ended_at = ? WHERE id = (SELECT history_id FROM bans WHERE jail = ? AND addr = ?)'),
      upsert: db.prepare(`INSERT INTO bans (jail, addr, banned_at, expires_at, ban_count, reason, matches, history_id, addresses, except_nets)
        VALUES (@jail, @addr, @bannedAt, @expiresAt, @banCount, @reason, @matches, @historyId, @addresses, @exceptNets)
        ON CONFLICT (jail, addr) DO UPDATE SET banned_at = excluded.banned_at, expires_at = excluded.expires_at,
          ban_count = excluded.ban_count, reason = excluded.reason, matches = excluded.matches, history_id = excluded.history_id,
          addresses = excluded.addresses, except_nets = excluded.except_nets`),
      jailPrefixes: db.prepare<[string, number], BanRow>("SELECT * FROM bans WHERE jail = ? AND addr LIKE '%/%' AND (expires_at IS NULL OR expires_at > ?)"),
      prefixCountJail: db.prepare<[string, number], { n: number }>("SELECT count(*) AS n FROM bans WHERE jail = ? AND addr LIKE '%/%' AND (expires_at IS NULL OR expires_at > ?)"),
      jailBans: db.prepare<[string, number], { addr: string }>('SELECT addr FROM bans WHERE jail = ? AND (expires_at IS NULL OR expires_at > ?)'),
      remove: db.prepare('DELETE FROM bans WHERE jail = ? AND addr = ?'),
      currentAll: db.prepare<[number], BanRow>('SELECT * FROM bans WHERE expires_at IS NULL OR expires_at > ? ORDER BY banned_at'),
      currentJail: db.prepare<[number, string], BanRow>('SELECT * FROM bans WHERE (expires_at IS NULL OR expires_at > ?) AND jail = ? ORDER BY banned_at'),
      forDriver: db.prepare<[number], { jail: string; addr: string; expires_at: number | null; except_nets: string | null }>('SELECT jail, addr, expires_at, except_nets FROM bans WHERE expires_at IS NULL OR expires_at > ?').raw(false),
      get: db.prepare<[string, string], BanRow>('SELECT * FROM bans WHERE jail = ? AND addr = ?'),
      byAddr: db.prepare<[string, number], BanRow>('SELECT * FROM bans WHERE addr = ? AND (expires_at IS NULL OR expires_at > ?)'),
      prefixes: db.prepare<[number], BanRow>("SELECT * FROM bans WHERE addr LIKE '%/%' AND (expires_at IS NULL OR expires_at > ?)"),
      currentCountJail: db.prepare<[number, string], { n: number }>('SELECT count(*) AS n FROM bans WHERE (expires_at IS NULL OR expires_at > ?) AND jail = ?'),
      currentCountAll: db.prepare<[number], { n: number }>('SELECT count(*) AS n FROM bans WHERE expires_at IS NULL OR expires_at > ?'),
      expired: db.prepare<[number], BanRow>('SELECT * FROM bans WHERE expires_at IS NOT NULL AND expires_at <= ?'),
      deleteExpired: db.prepare('DELETE FROM bans WHERE expires_at IS NOT NULL AND expires_at <= ?'),
      history: db.prepare<[string], HistoryRow>('SELECT * FROM history WHERE addr = ? ORDER BY banned_at DESC, id DESC'),
      prefixHistory: db.prepare<[], HistoryRow>("SELECT * FROM history WHERE addr LIKE '%/%' ORDER BY banned_at DESC, id DESC"),
      purge: db.prepare('DELETE FROM history WHERE coalesce(ended_at, expires_at, banned_at) < ? AND id NOT IN (SELECT history_id FROM bans)'),
      jails: db.prepare<[], { jail: string }>('SELECT DISTINCT jail FROM bans'),
      getPos: db.prepare<[string], { offset: number; first_line_hash: string; inode: number | null }>('SELECT offset, first_line_hash, inode FROM positions WHERE path = ?'),
      setPos: db.prepare('INSERT INTO positions (path, offset, first_line_hash, inode) VALUES (?, ?, ?, ?) ON CONFLICT (path) DO UPDATE SET offset = excluded.offset, first_line_hash = excluded.first_line_hash, inode = excluded.inode'),
    };
  }

  /** Opens (creating folder and file if needed) and migrates the store at `file` (`:memory:` allowed). */
  static open(file: string): BanStore {
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
    migrate(db, file);
    return new BanStore(file, db);
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

  /** BanHistory: how many times `addr` was banned (in `jail`, or in any jail); imported counts included. */
  banCount(addr: string, jail?: string): number {
    return (jail === undefined ? this.stmt.count.get(addr, addr) : this.stmt.countJail.get(addr, jail, addr, jail))?.n ?? 0;
  }

  /**
   * Records bans in one transaction: each becomes (or replaces) the current ban of
   * its jail+address and gets a history entry. Returns the stored records.
   */
  addBans(bans: readonly NewBan[]): BanRecord[] {
    return this.db.transaction(() => bans.map((b) => {
      const matches = JSON.stringify(b.matches);
      const banCount = this.banCount(b.addr, b.jail) + 1;
      const { addresses, exceptNets } = prefixColumns(b);
      const historyId = this.stmt.insertHistory.run(b.jail, b.addr, b.bannedAt, b.expiresAt, b.reason, matches, addresses, exceptNets).lastInsertRowid;
      this.stmt.upsert.run({ ...b, matches, banCount, historyId, addresses, exceptNets });
      return { ...b, banCount, matches: [...b.matches] };
    }))();
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
      const matches = JSON.stringify(b.matches);
      const { addresses, exceptNets } = prefixColumns(b);
      const historyId = this.stmt.insertHistory.run(b.jail, b.addr, b.bannedAt, b.expiresAt, b.reason, matches, addresses, exceptNets).lastInsertRowid;
      const banCount = Math.max(b.banCount, this.banCount(b.addr, b.jail));
      this.stmt.upsert.run({ ...b, matches, banCount, historyId, addresses, exceptNets });
      if (b.addr.includes('/')) this.fold(b.jail, b.addr, now);
      return true;
    }).length)();
  }

  /** Ends bans early (manual unban, jail removed): out of current, history marks the end. */
  removeBans(keys: readonly BanKey[], endedAt: number): BanKey[] {
    return this.db.transaction(() => keys.filter((k) => {
      this.stmt.endHistory.run(endedAt, k.jail, k.addr);
      return this.stmt.remove.run(k.jail, k.addr).changes > 0;
    }))();
  }

  /** The current ban of one jail+address, if in force at `now`. */
  currentBan(jail: string, addr: string, now: number): BanRecord | undefined {
    const r = this.stmt.get.get(jail, addr);
    return r && (r.expires_at === null || r.expires_at > now) ? toRecord(r) : undefined;
  }

  /** Bans in force at `now` of exactly `addr` (any jail), and, with `prefixes`, of every prefix too. */
  currentFor(addr: string, now: number, prefixes = false): BanRecord[] {
    const rows = this.stmt.byAddr.all(addr, now);
    if (prefixes) rows.push(...this.stmt.prefixes.all(now).filter((r) => r.addr !== addr));
    return rows.map(toRecord);
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
    return this.stmt.jailBans.all(jail, now).filter((r) => inside(r.addr)).map((r) => ({ jail, addr: r.addr }));
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
    const rows = jail === undefined ? this.stmt.prefixes.all(now) : this.stmt.jailPrefixes.all(jail, now);
    return rows.filter((r) => { const n = netOf(r.addr); return r.addr !== addr && n !== null && netContains(n, inner); }).map(toRecord);
  }

  /** How many prefix bans are in force at `now` in `jail`. */
  countPrefixes(now: number, jail: string): number {
    return this.stmt.prefixCountJail.get(jail, now)?.n ?? 0;
  }

  /** How many bans are in force at `now` (one jail or all). */
  countCurrent(now: number, jail?: string): number {
    return (jail === undefined ? this.stmt.currentCountAll.get(now) : this.stmt.currentCountJail.get(now, jail))?.n ?? 0;
  }

  /** Bans in force at `now` (one jail or all), oldest first. */
  current(now: number, jail?: string): BanRecord[] {
    const rows = jail === undefined ? this.stmt.currentAll.all(now) : this.stmt.currentJail.all(now, jail);
    return rows.map(toRecord);
  }

  /** Bans in force at `now` in the driver's shape (cheap: no matches parsed); a split prefix as its ranges. */
  bansForKernel(now: number): Ban[] {
    const out: Ban[] = [];
    for (const r of this.stmt.forDriver.all(now)) {
      if (r.except_nets === null) out.push({ jail: r.jail, addr: r.addr, expiresAt: r.expires_at });
      else for (const addr of banPieces(r.addr, JSON.parse(r.except_nets) as string[])) out.push({ jail: r.jail, addr, expiresAt: r.expires_at });
    }
    return out;
  }

  /** What `keys` are in the kernel: a prefix split around ignored networks as its ranges (read before they are removed). */
  kernelKeys(keys: readonly BanKey[]): BanKey[] {
    return keys.flatMap((k) => {
      const r = k.addr.includes('/') ? this.stmt.get.get(k.jail, k.addr) : undefined;
      return r?.except_nets ? banPieces(k.addr, JSON.parse(r.except_nets) as string[]).map((addr) => ({ jail: k.jail, addr })) : [k];
    });
  }

  /** Jails that hold current bans (expired included until swept). */
  jailsWithBans(): string[] {
    return this.stmt.jails.all().map((r) => r.jail);
  }

  /** Moves bans whose time is up out of current (history keeps them); returns them. */
  expire(now: number): BanRecord[] {
    return this.db.transaction(() => {
      const rows = this.stmt.expired.all(now);
      if (rows.length > 0) this.stmt.deleteExpired.run(now);
      return rows.map(toRecord);
    })();
  }

  /** Every recorded ban of `addr`, newest first; with `covering`, the bans of prefixes holding it too. */
  history(addr: string, covering = false): HistoryEntry[] {
    const rows = this.stmt.history.all(addr);
    const inner = covering ? netOf(addr) : null;
    if (inner !== null) {
      const holds = (r: HistoryRow): boolean => { const n = r.addr === addr ? null : netOf(r.addr); return n !== null && netContains(n, inner); };
      rows.push(...this.stmt.prefixHistory.all().filter(holds));
      rows.sort((a, b) => b.banned_at - a.banned_at || b.id - a.id);
    }
    return rows.map((r) => ({
      jail: r.jail, addr: r.addr, bannedAt: r.banned_at, expiresAt: r.expires_at, endedAt: r.ended_at,
      reason: r.reason, matches: JSON.parse(r.matches) as string[], ...prefixFields(r),
    }));
  }

  /** Deletes history older than `ageSec` (dbpurgeage) that no current ban refers to; returns rows removed. */
  purge(now: number, ageSec: number): number {
    return this.stmt.purge.run(now - ageSec * 1000).changes;
  }

  /** PositionStore: where reading `path` stopped. */
  get(path: string): StoredPosition | undefined {
    const pending = this.pendingPositions.get(path);
    if (pending) return pending;
    const r = this.stmt.getPos.get(path);
    return r && { offset: r.offset, firstLineHash: r.first_line_hash, ...(r.inode === null ? {} : { inode: r.inode }) };
  }

  /**
   * PositionStore: remembers where reading `path` stopped. Written on the next
   * event-loop turn, after the bans of the lines before it (queued earlier by the
   * ban manager) are committed, so a crash re-reads lines rather than losing a ban.
   */
  set(path: string, pos: StoredPosition): void {
    this.pendingPositions.set(path, pos);
    if (this.positionsScheduled) return;
    this.positionsScheduled = true;
    setImmediate(() => this.flushPositions());
  }

  /** Writes buffered read positions in one transaction. */
  flushPositions(): void {
    this.positionsScheduled = false;
    if (this.pendingPositions.size === 0 || !this.db.open) return;
    const pending = [...this.pendingPositions];
    this.pendingPositions.clear();
    this.db.transaction(() => {
      for (const [path, pos] of pending) this.stmt.setPos.run(path, pos.offset, pos.firstLineHash, pos.inode ?? null);
    })();
  }

  /** The open database, for modules that keep tables of their own in it (src/outbox). */
  get database(): Database.Database {
    return this.db;
  }

  /** Runs `fn` in one transaction (several store writes that belong together). */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  /** Writes buffered positions and closes the database (checkpointing the WAL). */
  close(): void {
    this.flushPositions();
    if (this.db.open) this.db.close();
  }
}
