/**
 * Builds a database with fail2ban 0.11–1.1's schema (fail2ban/server/database.py,
 * schema version 4: fail2banDb, jails, logs, bans, bips) for import tests.
 */
import Database from 'better-sqlite3';

/** One ban to seed: `ago` seconds before `nowSec`, `bantime` seconds (-1 = permanent). */
export interface SeedBan {
  readonly jail: string;
  readonly ip: string;
  readonly ago: number;
  readonly bantime: number;
  readonly bancount: number;
}

/** Creates `file` with fail2ban's tables and the given bans in both `bans` and `bips`. */
export function makeFail2banDb(file: string, nowSec: number, bans: readonly SeedBan[]): void {
  const db = new Database(file);
  db.exec(`
    CREATE TABLE fail2banDb(version INTEGER);
    INSERT INTO fail2banDb(version) VALUES (4);
    CREATE TABLE jails(name TEXT NOT NULL UNIQUE, enabled INTEGER NOT NULL DEFAULT 1);
    CREATE INDEX jails_name ON jails(name);
    CREATE TABLE logs(jail TEXT NOT NULL, path TEXT, firstlinemd5 TEXT, lastfilepos INTEGER DEFAULT 0,
      FOREIGN KEY(jail) REFERENCES jails(name) ON DELETE CASCADE, UNIQUE(jail, path), UNIQUE(jail, path, firstlinemd5));
    CREATE TABLE bans(jail TEXT NOT NULL, ip TEXT, timeofban INTEGER NOT NULL, bantime INTEGER NOT NULL,
      bancount INTEGER NOT NULL default 1, data JSON, FOREIGN KEY(jail) REFERENCES jails(name));
    CREATE INDEX bans_jail_timeofban_ip ON bans(jail, timeofban);
    CREATE INDEX bans_jail_ip ON bans(jail, ip);
    CREATE INDEX bans_ip ON bans(ip);
    CREATE TABLE bips(ip TEXT NOT NULL, jail TEXT NOT NULL, timeofban INTEGER NOT NULL, bantime INTEGER NOT NULL,
      bancount INTEGER NOT NULL default 1, data JSON, PRIMARY KEY(ip, jail), FOREIGN KEY(jail) REFERENCES jails(name));
    CREATE INDEX bips_timeofban ON bips(timeofban);
    CREATE INDEX bips_ip ON bips(ip);
  `);
  const jail = db.prepare('INSERT OR IGNORE INTO jails(name, enabled) VALUES (?, 1)');
  const insBan = db.prepare('INSERT INTO bans(jail, ip, timeofban, bantime, bancount, data) VALUES (?, ?, ?, ?, ?, ?)');
  const insBip = db.prepare('INSERT OR REPLACE INTO bips(ip, jail, timeofban, bantime, bancount, data) VALUES (?, ?, ?, ?, ?, ?)');
  db.transaction(() => {
    for (const b of bans) {
      const data = JSON.stringify({ matches: [`Failed password for root from ${b.ip}`], failures: 5 });
      jail.run(b.jail);
      insBan.run(b.jail, b.ip, Math.round(nowSec - b.ago), b.bantime, b.bancount, data);
      insBip.run(b.ip, b.jail, Math.round(nowSec - b.ago), b.bantime, b.bancount, data);
    }
  })();
  db.close();
}
