import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { BanStore } from '../src/bans/store.js';
import { Outbox } from '../src/outbox/outbox.js';
import { OutboxWorker, type Delivery } from '../src/outbox/worker.js';
import { ManualClock, settle } from './support/manual-clock.js';

test('worker: when a ban\'s entry expires while it waits for a retry, the unban queued behind it is delivered at once', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'f2b-outbox-'));
  const store = BanStore.open(join(dir, 'f2b.sqlite3'));
  try {
    const clock = new ManualClock();
    const box = new Outbox(store.database, () => clock.now());
    const calls: string[] = [];
    const worker = new OutboxWorker({
      outbox: box, channel: 'c', clock, timers: clock, log: pino({ level: 'silent' }), backoff: { minMs: 5000, maxMs: 5000 },
      deliver: async (e): Promise<Delivery> => { calls.push(e.dedupeKey); return e.dedupeKey === 'ban' ? { kind: 'retry', error: 'down' } : { kind: 'done' }; },
    });
    worker.start();
    box.enqueue([
      { channel: 'c', dedupeKey: 'ban', orderKey: '192.0.2.1', payload: {}, expiresAt: clock.now() + 3000 },
      { channel: 'c', dedupeKey: 'unban', orderKey: '192.0.2.1', payload: {} },
    ]);
    await settle();
    assert.deepEqual(calls, ['ban']);
    await clock.advance(5000);
    assert.deepEqual(calls, ['ban', 'unban'], 'the expired ban is dropped and its unban goes in the same look');
    assert.equal(box.depth(), 0);
    await worker.stop();
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
