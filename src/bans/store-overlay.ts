/**
 * What a degraded store could not write: per jail+address the ban it should
 * hold (added while the database refused writes) or the end of one (unbanned,
 * expired). BanStore merges it into every read, so a reconcile from the store
 * never removes a ban only the kernel and this overlay know of, and writes it
 * back in one transaction once the database takes writes again.
 */
import type { BanRecord } from '../daemon/api.js';

/** One change the database has not taken yet. */
export type OverlayChange =
  | { readonly kind: 'ban'; readonly record: BanRecord }
  | { readonly kind: 'end'; readonly jail: string; readonly addr: string; readonly endedAt: number | null };

/** The store's health as `status`, the metrics and the log report it. */
export interface StoreHealth {
  readonly state: 'ok' | 'degraded';
  /** The database's last refusal (null when ok). */
  readonly reason: string | null;
  /** ms since the epoch when the current state began. */
  readonly since: number;
  /** Bans in force that only the kernel and memory hold (lost on a restart unless written back). */
  readonly unwritten: number;
}

function key(jail: string, addr: string): string {
  return `${jail}\n${addr}`;
}

function inForce(r: BanRecord, now: number): boolean {
  return r.expiresAt === null || r.expiresAt > now;
}

/** Unwritten changes plus the degraded/ok state. */
export class StoreOverlay {
  private readonly changes = new Map<string, OverlayChange>();
  private failure: Error | null = null;
  private since = Date.now();
  private readonly listeners: ((h: StoreHealth) => void)[] = [];

  /** True while the database refuses writes (changes go here). */
  get degraded(): boolean {
    return this.failure !== null;
  }

  /** Marks the store degraded by `err` (listeners told on the change only). */
  fail(err: Error): void {
    const was = this.failure !== null;
    this.failure = err;
    if (was) return;
    this.since = Date.now();
    this.tell();
  }

  /** Marks the store ok again and forgets the changes (they are in the database now). */
  recovered(): void {
    this.changes.clear();
    if (this.failure === null) return;
    this.failure = null;
    this.since = Date.now();
    this.tell();
  }

  /** Calls `fn` on every state change. */
  onChange(fn: (h: StoreHealth) => void): void {
    this.listeners.push(fn);
  }

  private tell(): void {
    const h = this.health(Date.now());
    for (const fn of this.listeners) fn(h);
  }

  /** The state now. */
  health(now: number): StoreHealth {
    return { state: this.failure ? 'degraded' : 'ok', reason: this.failure?.message ?? null, since: this.since, unwritten: this.bans(now).length };
  }

  /** Records a ban the database did not take. */
  ban(record: BanRecord): void {
    this.changes.set(key(record.jail, record.addr), { kind: 'ban', record });
  }

  /** Records the end of a ban the database did not take (`endedAt` null: it ran its course). */
  end(jail: string, addr: string, endedAt: number | null): void {
    this.changes.set(key(jail, addr), { kind: 'end', jail, addr, endedAt });
  }

  /** The overlay's word on one jail+address: a ban, an end, or nothing. */
  get(jail: string, addr: string): OverlayChange | undefined {
    return this.changes.get(key(jail, addr));
  }

  /** True when the overlay speaks for this jail+address (database rows for it are stale). */
  covers(jail: string, addr: string): boolean {
    return this.changes.has(key(jail, addr));
  }

  /** Overlay bans in force at `now`. */
  bans(now: number): BanRecord[] {
    const out: BanRecord[] = [];
    for (const c of this.changes.values()) if (c.kind === 'ban' && inForce(c.record, now)) out.push(c.record);
    return out;
  }

  /** Overlay bans whose time is up at `now`. */
  expired(now: number): BanRecord[] {
    const out: BanRecord[] = [];
    for (const c of this.changes.values()) if (c.kind === 'ban' && !inForce(c.record, now)) out.push(c.record);
    return out;
  }

  /** How many changes wait (0 when there is nothing to write back). */
  get size(): number {
    return this.changes.size;
  }

  /** Every waiting change, oldest first. */
  all(): OverlayChange[] {
    return [...this.changes.values()];
  }
}
