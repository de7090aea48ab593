/**
 * Publishing one shared change, called by the outbox worker: a ban sets its
 * key (expiring with the ban, `PXAT`) and appends a stream entry; an unban
 * deletes the key and appends one, pipelined in that order on one connection;
 * a failure of either retries both (applying twice changes nothing). The
 * stream is trimmed with `MAXLEN ~` on every add.
 */
import { FLEET_DEFAULTS } from '../core/defaults.js';
import type { Clock } from '../core/clock.js';
import type { FleetClient } from './redis.js';
import { encodeEntry, type FleetEntry, type FleetKeys } from './protocol.js';

import type { Delivery } from '../outbox/worker.js';

/** Puts fleet entries into Redis. */
export class Publisher {
  /** Entries written to Redis since start. */
  sent = 0;

  constructor(
    private readonly client: FleetClient,
    private readonly keys: FleetKeys,
    private readonly streamMaxLen: number,
    private readonly clock: Clock,
  ) {}

  /** One delivery attempt; `retry` when Redis is away (a Redis error is thrown: the worker retries). */
  async deliver(e: FleetEntry): Promise<Delivery> {
    const now = this.clock.now();
    if (e.op === 'ban' && e.expiresAt !== null && e.expiresAt <= now) return { kind: 'drop', reason: 'the ban expired before Redis took it' };
    if (!this.client.isReady) return { kind: 'retry', error: 'not connected to Redis' };
    const fields = encodeEntry(e);
    const key = this.keys.ban(e.jail, e.addr);
    const trim = { TRIM: { strategy: 'MAXLEN', strategyModifier: '~', threshold: this.streamMaxLen } } as const;
    // Pipelined on one connection (key first, then the stream entry), not MULTI/EXEC: Redis 7.0
    // replays a MULTI block from its append-only file through ACL checks and drops it on restart.
    await Promise.all([
      e.op === 'ban'
        ? this.client.set(key, JSON.stringify(fields), e.expiresAt === null ? {} : { PXAT: e.expiresAt })
        : this.client.del(key),
      this.client.xAdd(this.keys.stream, '*', fields, trim),
    ]);
    this.sent++;
    return { kind: 'done' };
  }
}

/** The outbox dedupe key of a change: one per ban (jail, address, time) and per unban. */
export function dedupeKey(e: FleetEntry): string {
  return `${e.op} ${e.jail} ${e.addr} ${e.id}`;
}

/** Outbox entries for the fleet expire with their ban (an unban after a day is pointless). */
export function outboxExpiry(e: FleetEntry, now: number): number | null {
  return e.op === 'ban' ? e.expiresAt : now + FLEET_DEFAULTS.maxUnbanDelayMs;
}
