/**
 * A Map that knows its least recently set entry in amortised O(1): the
 * failure table and the escalation memory evict from it when full. A Map's
 * own `keys().next()` walks over every slot deleted at the front since the
 * last rehash (O(n) per call under a flood); here one iterator is kept and
 * moves forward only, so each slot is passed once.
 */

interface Slot<V> {
  readonly value: V;
  readonly seq: number;
}

/** Insertion-ordered map where `set` makes an entry the newest. */
export class OldestFirst<K, V> {
  private readonly map = new Map<K, Slot<V>>();
  private cursor: Iterator<[K, Slot<V>]> | null = null;
  private head: [K, Slot<V>] | null = null;
  private seq = 0;

  /** Entries held. */
  get size(): number {
    return this.map.size;
  }

  /** The value of `key`, if held. */
  get(key: K): V | undefined {
    return this.map.get(key)?.value;
  }

  /** Sets `key` to `value` and makes it the newest entry. */
  set(key: K, value: V): void {
    this.map.delete(key);
    this.map.set(key, { value, seq: ++this.seq });
  }

  /** Removes `key`; true when it was held. */
  delete(key: K): boolean {
    return this.map.delete(key);
  }

  /** The entry set longest ago, or undefined when empty. */
  oldest(): [K, V] | undefined {
    for (;;) {
      const h = this.head;
      if (h !== null && this.map.get(h[0]) === h[1]) return [h[0], h[1].value];
      this.head = null;
      if (this.map.size === 0) {
        this.cursor = null;
        return undefined;
      }
      this.cursor ??= this.map.entries();
      const n = this.cursor.next();
      if (n.done) this.cursor = this.map.entries();
      else this.head = n.value;
    }
  }

  /** Removes entries, oldest first, until at most `cap` are left; returns how many went. */
  trim(cap: number): number {
    let removed = 0;
    while (this.map.size > cap) {
      this.map.delete(this.oldest()![0]);
      removed++;
    }
    return removed;
  }

  /** Every entry, oldest first (deleting the current one while iterating is allowed). */
  *entries(): IterableIterator<[K, V]> {
    for (const [k, s] of this.map) yield [k, s.value];
  }
}
