/**
 * Set capacity (`maxelem` per jail): how many new elements a set may still
 * take, so that a flood beyond the limit is a defined outcome — the bans are
 * in the store, the elements are skipped and counted — never a failed kernel
 * batch. Used by the drivers whose kernel sets are not limited by the kernel
 * itself (nftables sets are created without `size`).
 *
 * The count is exact after a reconcile and grows with every admitted element;
 * elements the kernel times out are not seen, so the count only over-estimates.
 * When it reaches the limit the driver reads the set (its live elements and
 * the earliest expiry): until that expiry nothing can have made room but an
 * unban, so a full set is read again only once something may have expired.
 */

/** What a set holds now, read from the kernel. */
export interface SetFill {
  readonly count: number;
  /** Earliest expiry (ms since the epoch) among its elements; null when none expires. */
  readonly nextExpiry: number | null;
}

interface Entry {
  count: number;
  limit: number;
  /** No room can appear by expiry before this time (ms); 0 = read the set when full. */
  recheckAt: number;
}

/** Per-set element counts against per-set limits. */
export class SetCapacity {
  private readonly sets = new Map<string, Entry>();

  /** After a reconcile: `set` holds exactly `count` elements, limit `limit`. */
  reset(set: string, count: number, limit: number): void {
    this.sets.set(set, { count, limit, recheckAt: 0 });
  }

  /** The limit of `set`, if it was reconciled. */
  limitOf(set: string): number | undefined {
    return this.sets.get(set)?.limit;
  }

  /** `set` was emptied (flush). */
  emptied(set: string): void {
    const e = this.sets.get(set);
    if (e) this.reset(set, 0, e.limit);
  }

  /** Elements removed (unban): room again, up to what was counted. */
  released(set: string, n: number): void {
    const e = this.sets.get(set);
    if (!e) return;
    e.count = Math.max(0, e.count - n);
    e.recheckAt = 0;
  }

  /**
   * How many of `wanted` new elements `set` takes now (they are counted as
   * added). `read` gives the set's real fill when the estimate says full.
   * A set never reconciled is not limited here.
   */
  async admit(set: string, wanted: number, now: number, read: () => Promise<SetFill>): Promise<number> {
    const e = this.sets.get(set);
    if (!e) return wanted;
    if (e.count + wanted > e.limit && now >= e.recheckAt) {
      const fill = await read();
      e.count = fill.count;
      e.recheckAt = fill.nextExpiry ?? Number.POSITIVE_INFINITY;
    }
    const room = Math.max(0, Math.min(wanted, e.limit - e.count));
    e.count += room;
    return room;
  }
}
