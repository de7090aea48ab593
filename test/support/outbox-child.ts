/**
 * Child process for the outbox crash test: opens the store, enqueues `count` items (again after a
 * restart, as an at-least-once producer does), drains them to an HTTP receiver with the real
 * worker, prints `drained` when the queue is empty and exits.
 * Usage: node outbox-child.js DB URL COUNT
 */
import { pino } from 'pino';
import { BanStore } from '../../src/bans/store.js';
import { systemClock, systemTimers } from '../../src/core/clock.js';
import { Outbox } from '../../src/outbox/outbox.js';
import { OutboxWorker } from '../../src/outbox/worker.js';

const [db, url, countText] = process.argv.slice(2) as [string, string, string];
const store = BanStore.open(db);
const outbox = new Outbox(store.database);
const channel = 'test:crash';
const items = Array.from({ length: Number(countText) }, (_, i) => ({
  channel, dedupeKey: `k${i}`, orderKey: `addr${i % 50}`, payload: { key: `k${i}`, order: `addr${i % 50}`, seq: i },
}));
outbox.enqueue(items);
const log = pino({ level: 'warn' }, process.stderr);
const worker = new OutboxWorker({
  outbox, channel, clock: systemClock, timers: systemTimers, log, concurrency: 4,
  backoff: { minMs: 10, maxMs: 100 },
  deliver: async (entry) => {
    const res = await fetch(url, { method: 'POST', body: JSON.stringify(entry.payload), headers: { 'content-type': 'application/json' } });
    await res.arrayBuffer();
    return res.ok ? { kind: 'done' } : { kind: 'retry', error: `HTTP ${res.status}` };
  },
  onOutcome: () => {
    if (outbox.depth(channel) === 0) {
      process.stdout.write('drained\n');
      void worker.stop().then(() => { store.close(); process.exit(0); });
    }
  },
});
process.stdout.write(`queued ${outbox.depth(channel)}\n`);
worker.start();
