/**
 * What the outbox could not write while its store is degraded (src/bans/store-overlay.ts): new
 * entries (bounded; beyond the bound they are counted as lost and logged once), entries delivered
 * or dropped meanwhile (so none is delivered twice) and failed attempts' next times. The outbox
 * writes all of it back inside the store's write-back transaction and forgets it once that
 * committed.
 */
import type { Logger } from '../core/log.js';
import type { OutboxItem } from './outbox.js';

/** The writes one write-back performs, in this order. */
export interface HeldWrites {
  finish(id: number, at: number): void;
  retry(id: number, notBefore: number, error: string): void;
  insert(item: OutboxItem, at: number): void;
}

function key(channel: string, dedupeKey: string): string {
  return `${channel}\n${dedupeKey}`;
}

/** The outbox's memory while the database refuses writes. */
export class OutboxHold {
  private readonly items = new Map<string, { readonly item: OutboxItem; readonly at: number }>();
  private readonly finished = new Map<number, { readonly channel: string; readonly at: number }>();
  private readonly retried = new Map<number, { readonly notBefore: number; readonly error: string }>();
  private lost = 0;
  private told = false;

  /** `max`: new entries kept at most; `log`: the once-per-period lines. */
  constructor(private readonly max: number, private readonly log?: Logger) {}

  /** Keeps new entries (a key already kept is ignored); returns how many were kept. */
  enqueue(items: readonly OutboxItem[], at: number): number {
    this.tell();
    let n = 0;
    for (const item of items) {
      const k = key(item.channel, item.dedupeKey);
      if (this.items.has(k)) continue;
      if (this.items.size >= this.max) {
        if (this.lost++ === 0) {
          this.log?.error({ event: 'outbox', held: this.items.size }, `outbox: ${this.items.size} entries kept in memory while the database refuses writes (the limit); further entries are lost (counted)`);
        }
        continue;
      }
      this.items.set(k, { item, at });
      n++;
    }
    return n;
  }

  /** A stored entry delivered or dropped while the database refuses writes. */
  finish(id: number, channel: string, at: number): void {
    this.tell();
    this.finished.set(id, { channel, at });
    this.retried.delete(id);
  }

  /** A stored entry's failed attempt while the database refuses writes. */
  retry(id: number, notBefore: number, error: string): void {
    this.tell();
    this.retried.set(id, { notBefore, error });
  }

  /** Change of the queue's depth in `channel` (all channels when omitted) that only memory knows. */
  delta(channel?: string): number {
    let n = 0;
    for (const { item } of this.items.values()) if (channel === undefined || item.channel === channel) n++;
    for (const f of this.finished.values()) if (channel === undefined || f.channel === channel) n--;
    return n;
  }

  /** The same per channel. */
  deltas(): Map<string, number> {
    const out = new Map<string, number>();
    for (const { item } of this.items.values()) out.set(item.channel, (out.get(item.channel) ?? 0) + 1);
    for (const f of this.finished.values()) out.set(f.channel, (out.get(f.channel) ?? 0) - 1);
    return out;
  }

  /** True when nothing waits to be written. */
  get empty(): boolean {
    return this.items.size === 0 && this.finished.size === 0 && this.retried.size === 0;
  }

  /** Performs every kept write through `w` (inside the store's transaction); throws what `w` throws. */
  writeBack(w: HeldWrites): void {
    for (const [id, f] of this.finished) w.finish(id, f.at);
    for (const [id, r] of this.retried) w.retry(id, r.notBefore, r.error);
    for (const { item, at } of this.items.values()) w.insert(item, at);
  }

  /** After the write-back committed: forgets it all, logs what was written; returns the channels of new entries. */
  written(): Set<string> {
    const channels = new Set([...this.items.values()].map((h) => h.item.channel));
    if (this.told) {
      this.log?.warn({ event: 'outbox', written: this.items.size, finished: this.finished.size, lost: this.lost },
        `outbox: the database takes writes again: ${this.items.size} entries kept in memory written back${this.lost > 0 ? `, ${this.lost} lost over the limit` : ''}; delivery resumes`);
    }
    this.items.clear();
    this.finished.clear();
    this.retried.clear();
    this.lost = 0;
    this.told = false;
    return channels;
  }

  private tell(): void {
    if (this.told) return;
    this.told = true;
    this.log?.warn({ event: 'outbox', max: this.max },
      `outbox: the database refuses writes; queued work is kept in memory (at most ${this.max} new entries) and delivery waits until it takes writes again`);
  }
}
