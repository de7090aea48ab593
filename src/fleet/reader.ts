/**
 * The fleet reader: follows the stream from this host's last-seen ID with a
 * blocking XREAD, hands each batch (checked entry by entry) to the member, and
 * then moves the persisted cursor. When this host never read the stream, or
 * the stream was trimmed past its cursor (away longer than the retention), it
 * first reads the current state from the ban keys. A bad entry is refused and
 * reported once with its stream ID; a Redis error waits for the link and goes
 * on: the reader never throws and never stops until closed.
 */
import type { Logger } from '../core/log.js';
import type { Clock } from '../core/clock.js';
import { FLEET_DEFAULTS } from '../core/defaults.js';
import type { RedisLink } from './redis.js';
import type { FleetCursor } from './cursor.js';
import { checkEntry, type Checked, type EntryLimits } from './validate.js';
import { compareStreamIds, streamIdTime, type FleetKeys } from './protocol.js';

/** One checked entry and where it was read (`stream 1700000000000-0` or `key f2b-fw:ban:…`). */
export interface ReadEntry {
  readonly where: string;
  readonly checked: Checked;
  /** The entry's node field as written (to skip our own before checking). */
  readonly node: unknown;
}

/** What the reader hands its results to. */
export interface ReaderSink {
  /** Applies one batch in order; resolves once the bans are in the store. */
  apply(batch: readonly ReadEntry[]): Promise<void>;
  /**
   * After a catch-up from the keys: `seen` holds `jail addr` of every key read. With `liftMissing`
   * (the stream exists, so Redis kept its state) the member lifts fleet bans whose key is gone.
   */
  caughtUp(seen: ReadonlySet<string>, liftMissing: boolean): Promise<void>;
}

/** Reader tuning (tests shorten it). */
export interface ReaderOptions {
  readonly blockMs?: number;
  readonly readCount?: number;
}

/** Longest ban key value read (bytes); a key's JSON is small, a larger one is refused unread. */
const KEY_VALUE_BYTES = 4096;
/** Keys read per MGET during a catch-up. */
const KEY_BATCH = 500;

/** Follows one fleet's stream until closed. */
export class StreamReader {
  /** ms behind the stream's newest entry at the last read (0 when caught up). */
  lagMs = 0;
  /** Catch-ups from the keys since start. */
  catchUps = 0;
  private closed = false;
  private running: Promise<void> | null = null;
  private lastError: string | null = null;

  constructor(
    private readonly link: RedisLink,
    private readonly keys: FleetKeys,
    private readonly cursor: FleetCursor,
    private readonly limits: EntryLimits,
    private readonly sink: ReaderSink,
    private readonly deps: { readonly log: Logger; readonly clock: Clock },
    private readonly options: ReaderOptions = {},
  ) {}

  /** Starts the loop in the background. */
  start(): void {
    this.running ??= this.loop();
  }

  /** Stops after the current read (the blocking connection is closed by the link). */
  async close(): Promise<void> {
    this.closed = true;
    await this.running;
  }

  private async loop(): Promise<void> {
    let synced = false;
    while (!this.closed) {
      if (!this.link.up) {
        synced = false;
        await this.link.ready(1000);
        continue;
      }
      try {
        if (!synced) {
          await this.sync();
          synced = true;
        }
        await this.readOnce();
        this.lastError = null;
      } catch (e) {
        if (this.closed) break;
        const msg = (e as Error).message;
        // Once per distinct error while connected (a NOPERM from a too narrow ACL must be seen); losses of connection are the link's to log.
        if (this.link.up && msg !== this.lastError) this.deps.log.warn({ event: 'fleet', err: msg }, `fleet: reading the stream failed: ${msg}`);
        this.lastError = msg;
        synced = this.link.up && synced;
        await this.link.ready(1000);
        if (this.link.up) await new Promise((r) => setTimeout(r, 200).unref());
      }
    }
  }

  /** Decides whether the stream still holds everything after the cursor; reads the keys when not. */
  private async sync(): Promise<void> {
    const c = this.link.commands;
    const cursor = this.cursor.get();
    const first = await c.xRange(this.keys.stream, '-', '+', { COUNT: 1 });
    const firstId = first[0]?.id;
    if (cursor !== null && firstId !== undefined && compareStreamIds(firstId, cursor) <= 0) return;
    if (cursor !== null && firstId === undefined && cursor !== '0-0') {
      this.deps.log.info({ event: 'fleet' }, 'fleet: the stream is empty or gone; reading the shared bans from the keys');
    }
    if (cursor === null && firstId === undefined) {
      // An empty fleet, or a Redis that lost everything: nothing to read, and nothing to lift.
      await this.catchUp('0-0', false);
      return;
    }
    const last = await c.xRevRange(this.keys.stream, '+', '-', { COUNT: 1 });
    await this.catchUp(last[0]?.id ?? '0-0', firstId !== undefined);
  }

  /** Reads every ban key, applies them, then continues the stream from `lastId` (taken before the scan). */
  private async catchUp(lastId: string, liftMissing: boolean): Promise<void> {
    const c = this.link.commands;
    const now = this.deps.clock.now();
    const seen = new Set<string>();
    let batch: string[] = [];
    let total = 0;
    const flush = async (): Promise<void> => {
      if (batch.length === 0) return;
      const values = await c.mGet(batch);
      const entries = batch.map((key, i): ReadEntry => {
        const v = values[i];
        const where = `key ${key.slice(0, 200)}`;
        if (v === null || v === undefined) return { where, node: undefined, checked: { kind: 'expired' } };
        if (v.length > KEY_VALUE_BYTES) return { where, node: undefined, checked: { kind: 'refused', reason: `value of ${v.length} bytes (at most ${KEY_VALUE_BYTES})` } };
        let parsed: unknown;
        try { parsed = JSON.parse(v); } catch { parsed = null; }
        const checked = checkEntry(parsed, this.limits, now);
        const node = typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>).node : undefined;
        if (checked.kind === 'ok' && checked.entry.op !== 'ban') return { where, node, checked: { kind: 'refused', reason: 'a ban key holding an unban' } };
        if (checked.kind === 'ok') seen.add(`${checked.entry.jail} ${checked.entry.addr}`);
        return { where, node, checked };
      });
      total += entries.length;
      batch = [];
      await this.sink.apply(entries);
    };
    for await (const key of c.scanIterator({ MATCH: this.keys.banPattern, COUNT: 1000 })) {
      batch.push(key);
      if (batch.length >= KEY_BATCH) await flush();
    }
    await flush();
    await this.sink.caughtUp(seen, liftMissing);
    this.cursor.set(lastId);
    this.catchUps++;
    this.deps.log.info({ event: 'fleet', keys: total, from: lastId }, `fleet: read ${total} shared ban key(s); following the stream from ${lastId}`);
  }

  /** One XREAD: waits up to blockMs for entries after the cursor and applies them. */
  private async readOnce(): Promise<void> {
    const count = this.options.readCount ?? FLEET_DEFAULTS.readCount;
    const from = this.cursor.get() ?? '0-0';
    const res = await this.link.blocking.xRead({ key: this.keys.stream, id: from }, { COUNT: count, BLOCK: this.options.blockMs ?? FLEET_DEFAULTS.blockMs });
    const messages = res?.[0]?.messages ?? [];
    if (messages.length === 0) {
      this.lagMs = 0;
      return;
    }
    const now = this.deps.clock.now();
    const entries = messages.map((m): ReadEntry => ({ where: `stream ${m.id}`, node: m.message.node, checked: checkEntry({ ...m.message }, this.limits, now) }));
    await this.sink.apply(entries);
    const lastId = messages[messages.length - 1]!.id;
    this.cursor.set(lastId);
    this.lagMs = messages.length < count ? 0 : Math.max(0, now - streamIdTime(lastId));
  }
}
