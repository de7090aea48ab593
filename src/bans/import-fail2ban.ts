/**
 * Reads the bans in force from a fail2ban 0.11–1.1 database. fail2ban keeps
 * one row per address and jail in `bips` (ip, jail, timeofban s, bantime s
 * with -1 = permanent, bancount, data JSON {matches, failures}) and every ban
 * in `bans`; databases without `bips` (0.10) are read from `bans`, newest row
 * per address and jail.
 */
import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { EnvironmentError } from '../core/errors.js';
import { canonicalText } from '../core/address.js';

/** One ban in force, as fail2ban recorded it. */
export interface Fail2banBan {
  readonly jail: string;
  readonly addr: string;
  /** ms since the epoch. */
  readonly bannedAt: number;
  /** ms since the epoch; null = permanent. */
  readonly expiresAt: number | null;
  readonly banCount: number;
  readonly matches: readonly string[];
}

/** What the database held. */
export interface Fail2banRead {
  readonly table: 'bips' | 'bans';
  /** Rows looked at. */
  readonly rows: number;
  readonly inForce: Fail2banBan[];
  /** Rows whose address or data could not be read (left out). */
  readonly unreadable: number;
}

interface Row { ip: string | null; jail: string; timeofban: number; bantime: number | null; bancount: number | null; data: string | null }

function matchesOf(data: string | null): string[] {
  if (!data) return [];
  try {
    const parsed = JSON.parse(data) as { matches?: unknown };
    return Array.isArray(parsed.matches) ? parsed.matches.map((m) => (Array.isArray(m) ? m.join('') : String(m))) : [];
  } catch {
    return [];
  }
}

/** Reads the bans in force at `now` (ms) from the fail2ban database at `file` (opened read-only). */
export function readFail2banDb(file: string, now: number): Fail2banRead {
  if (!existsSync(file)) throw new EnvironmentError(`${file}: no such fail2ban database`);
  let db: Database.Database;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
  } catch (e) {
    throw new EnvironmentError(`${file}: cannot open as SQLite: ${(e as Error).message}`, { cause: e });
  }
  try {
    const tables = new Set(db.prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table'").all().map((r) => r.name));
    if (!tables.has('bans')) throw new EnvironmentError(`${file}: not a fail2ban database (no \`bans\` table)`);
    const columns = new Set(db.prepare<[], { name: string }>('PRAGMA table_info(bans)').all().map((r) => r.name));
    if (!columns.has('bantime')) throw new EnvironmentError(`${file}: fail2ban database older than 0.11 (no bantime column); fail2ban 0.11 or later upgrades it on start`);
    const table = tables.has('bips') ? 'bips' : 'bans';
    const rows = table === 'bips'
      ? db.prepare<[], Row>('SELECT ip, jail, timeofban, bantime, bancount, data FROM bips').all()
      : db.prepare<[], Row>(`SELECT ip, jail, timeofban, bantime, bancount, data FROM bans b
          WHERE timeofban = (SELECT max(timeofban) FROM bans WHERE ip = b.ip AND jail = b.jail)`).all();
    let unreadable = 0;
    const inForce: Fail2banBan[] = [];
    for (const r of rows) {
      // fail2ban keeps the text it was given: addresses in any spelling, prefixes (`banip 2001:db8::/64`).
      const addr = canonicalText((r.ip ?? '').trim());
      if (addr === null || typeof r.timeofban !== 'number' || typeof r.bantime !== 'number') {
        unreadable++;
        continue;
      }
      const bannedAt = r.timeofban * 1000;
      const expiresAt = r.bantime < 0 ? null : bannedAt + r.bantime * 1000;
      if (expiresAt !== null && expiresAt <= now) continue;
      inForce.push({ jail: r.jail, addr, bannedAt, expiresAt, banCount: r.bancount ?? 1, matches: matchesOf(r.data) });
    }
    return { table, rows: rows.length, inForce, unreadable };
  } finally {
    db.close();
  }
}
