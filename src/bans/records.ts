/**
 * The ban records the store keeps and hands out: a ban in force and one
 * entry of an address's history. The daemon's API (src/daemon/api.ts) and
 * the CLI show them as they are.
 */

/** A ban in force, as `f2b-fw banned` shows it. */
export interface BanRecord {
  readonly jail: string;
  /** Address or prefix, canonical text. */
  readonly addr: string;
  readonly bannedAt: number;
  readonly expiresAt: number | null;
  /** How many times this address has been banned in this jail (history included). */
  readonly banCount: number;
  readonly reason: string;
  readonly matches: readonly string[];
}

/** One past or present ban, as `f2b-fw history IP` shows it. */
export interface HistoryEntry {
  readonly jail: string;
  readonly addr: string;
  readonly bannedAt: number;
  readonly expiresAt: number | null;
  /** When it left the kernel early (manual unban, jail removed); null if it ran its course or still runs. */
  readonly endedAt: number | null;
  readonly reason: string;
  readonly matches: readonly string[];
}
