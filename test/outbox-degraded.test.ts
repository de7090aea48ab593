/**
 * The outbox in the store's degraded mode (issue 10.1's gap), on a real full tmpfs with real
 * SQLite: while the database refuses writes, new entries (queued in the same store transaction as
 * their bans, as the ban manager does for reports and the fleet), deliveries finished and failed
 * attempts are kept in memory, nothing is handed out, and everything is written back in the
 * store's write-back transaction: no entry lost, none repeated. The bound on memory is counted and
 * logged once.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import type { Logger } from '../src/core/log.js';
import { BanStore } from '../src/bans/store.js';
import { Outbox, type OutboxItem } from '../src/outbox/outbox.js';
import { OutboxWorker, type Delivery } from '../src/outbox/worker.js';
import { Tmpfs } from './support/tmpfs.js';
import { ManualClock, settle } from './support/manual-clock.js';

function captureLog(): { log: Logger; lines: { msg: string; event?: string }[] } {
  const lines: { msg: string; event?: string }[] = [];
  return { lines, log: pino({ level: 'info' }, { write: (l: string) => { lines.push(JSON.parse(l) as { msg: string }); } }) };
}

const item = (key: string, pad = 0): OutboxItem => ({ channel: 'fleet', dedupeKey: key, orderKey: key, payload: { key, pad: 'p'.repeat(pad) } });

/** A degradable store on a fresh 2 MB tmpfs, removed after `fn`. */
async function onTmpfs(fn: (store: BanStore, fs: Tmpfs) => Promise<void>): Promise<void> {
  const fs = Tmpfs.mount('2m');
  const store = BanStore.openDegradable(fs.path('f2b.sqlite3'));
  try {
    await fn(store, fs);
  } finally {
    fs.drain();
    store.close();
    fs.unmount();
  }
}

test('disk full: entries and outcomes kept in memory, delivery paused, written back with the bans; each delivered once', () => onTmpfs(async (store, fs) => {
  const clock = new ManualClock();
  const { log, lines } = captureLog();
  const box = new Outbox(store, () => clock.now(), { log });
  const delivered: string[] = [];
  const held = new Map<string, (d: Delivery) => void>();
  const worker = new OutboxWorker({
    outbox: box, channel: 'fleet', clock, timers: clock, log, concurrency: 2, backoff: { minMs: 1000, maxMs: 1000 },
    deliver: (e) => {
      delivered.push(e.dedupeKey);
      if (e.dedupeKey === 'a' || (e.dedupeKey === 'b' && !held.has('b'))) return new Promise((resolve) => held.set(e.dedupeKey, resolve));
      return Promise.resolve({ kind: 'done' });
    },
  });
  worker.start();
  box.enqueue([item('a'), item('b')]);
  await settle();
  assert.deepEqual(delivered, ['a', 'b'], 'both in flight when the disk fills');

  fs.fill();
  // Bans and their publications in one store transaction each, as the ban manager records them.
  const keys: string[] = [];
  for (let i = 0; i < 400 && !store.degraded; i++) {
    keys.push(`ban-${i}`);
    store.transaction(() => {
      store.addBans([{ jail: 'sshd', addr: `198.51.100.${i % 250}`, bannedAt: clock.now(), expiresAt: null, reason: 'test', matches: ['x'.repeat(4000)] }]);
      box.enqueue([item(`ban-${i}`, 4000)]);
    });
  }
  assert.ok(store.degraded, 'the full disk degraded the store');
  for (let i = 0; i < 5; i++) {
    keys.push(`late-${i}`);
    store.transaction(() => { box.enqueue([item(`late-${i}`)]); });
  }
  held.get('a')!({ kind: 'done' });
  held.get('b')!({ kind: 'retry', error: 'redis away' });
  await clock.advance(10_000);
  assert.deepEqual(delivered, ['a', 'b'], 'nothing is handed out while the store is degraded');
  assert.equal(box.depth('fleet'), keys.length + 1, 'depth counts the entries kept in memory (b still queued, a done)');
  assert.equal(lines.filter((l) => /queued work is kept in memory/.test(l.msg)).length, 1, 'logged once');

  fs.drain();
  assert.equal(store.retry(), true, 'written back once there is space');
  assert.ok(lines.some((l) => /entries kept in memory written back/.test(l.msg)));
  await clock.advance(5_000);
  assert.equal(box.depth('fleet'), 0, 'everything delivered');
  assert.deepEqual(delivered.filter((k) => k === 'a'), ['a'], 'the delivery finished while degraded is not repeated');
  assert.deepEqual(delivered.filter((k) => k === 'b'), ['b', 'b'], 'the failed attempt is retried');
  for (const k of keys) assert.equal(delivered.filter((d) => d === k).length, 1, `${k} delivered exactly once`);
  assert.equal(box.enqueue([item('a'), item(keys[0]!)]), 0, 'keys delivered meanwhile are remembered as done');
  await worker.stop();
}));

test('memory is bounded: beyond maxHeld new entries are counted as lost and logged once; read-only database at start', () => onTmpfs(async (store, fs) => {
  store.close();
  fs.readOnly(true);
  const ro = BanStore.openDegradable(fs.path('f2b.sqlite3'));
  try {
    assert.ok(ro.degraded, 'a degraded start on the read-only file');
    const { log, lines } = captureLog();
    const box = new Outbox(ro, Date.now, { log, maxHeld: 10 });
    for (let i = 0; i < 25; i++) ro.transaction(() => { box.enqueue([item(`k${i}`)]); });
    assert.equal(box.depth(), 10);
    assert.equal(lines.filter((l) => /\(the limit\); further entries are lost/.test(l.msg)).length, 1, 'the bound is logged once');
    fs.readOnly(false);
    assert.equal(ro.retry(), true);
    const summary = lines.find((l) => /written back/.test(l.msg))!;
    assert.match(summary.msg, /10 entries kept in memory written back, 15 lost over the limit/);
    assert.equal(box.depth(), 10, 'the kept entries are in the file now');
    assert.equal(box.due('fleet', Date.now(), 100).length, 10, 'and handed out again');
  } finally {
    ro.close();
  }
}));
