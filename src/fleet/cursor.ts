/**
 * The stream's last-seen ID, kept in the store's `meta` table (schema 3), so a
 * host that was stopped reads on exactly where it stopped. Written after the
 * entries up to it are applied: a crash re-reads a few entries, never skips one.
 */
import type Database from 'better-sqlite3';

/** The persisted cursor of one fleet (one key per Redis key prefix). */
export class FleetCursor {
  private readonly getStmt;
  private readonly setStmt;
  private readonly key: string;

  constructor(db: Database.Database, prefix: string) {
    this.key = `fleet.stream.${prefix}`;
    this.getStmt = db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE key = ?');
    this.setStmt = db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value');
  }

  /** The last stream ID applied, or null when this host never read the stream. */
  get(): string | null {
    return this.getStmt.get(this.key)?.value ?? null;
  }

  /** Remembers `id` as applied. */
  set(id: string): void {
    this.setStmt.run(this.key, id);
  }
}
