/**
 * The store's schema as an ordered list of migrations. `PRAGMA user_version`
 * holds how many have run; opening a store runs the missing ones in one
 * transaction, so an older database is brought forward and a newer one refused.
 */
import type Database from 'better-sqlite3';
import { EnvironmentError } from '../core/errors.js';

/** One step of the schema; never edit a released step, append a new one. */
const MIGRATIONS: readonly string[] = [
  // 1: current bans, history, read positions.
  `CREATE TABLE bans (
     jail TEXT NOT NULL,
     addr TEXT NOT NULL,
     banned_at INTEGER NOT NULL,
     expires_at INTEGER,
     ban_count INTEGER NOT NULL,
     reason TEXT NOT NULL,
     matches TEXT NOT NULL,
     history_id INTEGER NOT NULL,
     PRIMARY KEY (jail, addr)
   ) WITHOUT ROWID;
   CREATE INDEX bans_expires ON bans (expires_at) WHERE expires_at IS NOT NULL;
   CREATE INDEX bans_addr ON bans (addr);
   CREATE TABLE history (
     id INTEGER PRIMARY KEY,
     jail TEXT NOT NULL,
     addr TEXT NOT NULL,
     banned_at INTEGER NOT NULL,
     expires_at INTEGER,
     ended_at INTEGER,
     reason TEXT NOT NULL,
     matches TEXT NOT NULL
   );
   CREATE INDEX history_addr ON history (addr, jail);
   CREATE INDEX history_banned_at ON history (banned_at);
   CREATE TABLE positions (
     path TEXT PRIMARY KEY,
     offset INTEGER NOT NULL,
     first_line_hash TEXT NOT NULL,
     inode INTEGER
   ) WITHOUT ROWID;`,
  // 2: the persistent outbox shared by reporting actions and the fleet publisher. A row is work
  // still to deliver (in order per order_key within a channel); outbox_done remembers delivered
  // keys so an at-least-once producer that enqueues the same key again after a crash is a no-op.
  `CREATE TABLE outbox (
     id INTEGER PRIMARY KEY,
     channel TEXT NOT NULL,
     dedupe_key TEXT NOT NULL,
     order_key TEXT NOT NULL,
     payload TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     not_before INTEGER NOT NULL,
     expires_at INTEGER,
     attempts INTEGER NOT NULL DEFAULT 0,
     last_error TEXT,
     UNIQUE (channel, dedupe_key)
   );
   CREATE INDEX outbox_due ON outbox (channel, not_before);
   CREATE INDEX outbox_order ON outbox (channel, order_key, id);
   CREATE TABLE outbox_done (
     channel TEXT NOT NULL,
     dedupe_key TEXT NOT NULL,
     done_at INTEGER NOT NULL,
     PRIMARY KEY (channel, dedupe_key)
   ) WITHOUT ROWID;`,
  // 3: small named values the daemon keeps across restarts (e.g. the fleet stream's last-seen ID).
  `CREATE TABLE meta (
     key TEXT PRIMARY KEY,
     value TEXT NOT NULL
   ) WITHOUT ROWID;`,
  // 4: prefix bans as first-class records: how many addresses a prefix ban was made of (NULL for
  // single addresses and bans made before), the ignored networks it is split around (JSON list or
  // NULL), and an index of the prefix bans of each jail for folding.
  `ALTER TABLE bans ADD COLUMN addresses INTEGER;
   ALTER TABLE bans ADD COLUMN except_nets TEXT;
   ALTER TABLE history ADD COLUMN addresses INTEGER;
   ALTER TABLE history ADD COLUMN except_nets TEXT;
   CREATE INDEX bans_prefixes ON bans (jail) WHERE addr LIKE '%/%';`,
];

/** The schema version this build writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/** Brings `db` to SCHEMA_VERSION; refuses a database from a newer f2b-fw. */
export function migrate(db: Database.Database, file: string): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > SCHEMA_VERSION) {
    throw new EnvironmentError(`${file}: database schema version ${version} is newer than this f2b-fw understands (${SCHEMA_VERSION})`);
  }
  if (version === SCHEMA_VERSION) return;
  db.transaction(() => {
    for (let v = version; v < SCHEMA_VERSION; v++) db.exec(MIGRATIONS[v]!);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  }).immediate();
}
