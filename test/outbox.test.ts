import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { pino } from 'pino';
import type { Logger } from '../src/core/log.js';
import { BanStore } from '../src/bans/store.js';
import { OUTBOX_BARRIER, Outbox, type OutboxEntry } from '../src/outbox/outbox.js';
import { OutboxWorker, type Delivery } from '../src/outbox/worker.js';
import { ManualClock, settle } from './support/manual-clock.js';

function withStore(fn: (store: BanStore, dir: string) => Promise<void> | void): () => Promise<void> {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'f2b-outbox-'));
    const store = BanStore.open(join(dir, 'f2b.sqlite3'));
    try { await fn(store, dir); } finally { store.close(); rmSync(dir, { recursive: true, force: true }); }
  };
}

function captureLog(): { log: Logger; lines: { msg: string; level: number }[] } {
  const lines: { msg: string; level: number }[] = [];
  return { lines, log: pino({ level: 'info' }, { write: (l: string) => { lines.push(JSON.parse(l) as { msg: string; level: number }); } }) };
}

const item = (key: string, order = key, extra: object = {}) => ({ channel: 'c', dedupeKey: key, orderKey: order, payload: { key }, ...extra });

test('enqueue ignores keys already queued and keys already delivered, in one transaction', withStore((store) => {
  const clock = new ManualClock();
  const box = new Outbox(store.database, () => clock.now());
  assert.equal(box.enqueue([item('a'), item('b'), item('a')]), 2);
  assert.equal(box.depth('c'), 2);
  const [a] = box.due('c', clock.now(), 10).filter((e) => e.dedupeKey === 'a');
  box.done(a!.id);
  assert.equal(box.enqueue([item('a'), item('b'), item('c')]), 1, 'a is done, b is queued: only c is new');
  assert.deepEqual(box.depths(), new Map([['c', 2]]));
  assert.equal(box.enqueue([{ ...item('a'), channel: 'other' }]), 1, 'keys are per channel');
  assert.equal(box.depth(), 3);
}));

test('due hands out only heads of each order key, not before their time', withStore((store) => {
  const clock = new ManualClock();
  const t = clock.now();
  const box = new Outbox(store.database, () => t);
  box.enqueue([item('ban-1', 'x'), item('unban-1', 'x'), item('ban-2', 'y', { notBefore: t + 1000 }), item('ban-3', 'z')]);
  assert.deepEqual(box.due('c', t, 10).map((e) => e.dedupeKey), ['ban-1', 'ban-3']);
  assert.equal(box.nextAt('c', t), t + 1000);
  const head = box.due('c', t, 10)[0]!;
  box.retry(head.id, t + 500, 'HTTP 503');
  assert.deepEqual(box.due('c', t, 10).map((e) => e.dedupeKey), ['ban-3'], 'a head waiting for its retry still blocks its unban');
  assert.equal(box.nextAt('c', t), t + 500);
  const retried = box.get(head.id)!;
  assert.equal(retried.attempts, 1);
  assert.equal(retried.lastError, 'HTTP 503');
  box.drop(head.id, 'gone');
  assert.deepEqual(box.due('c', t + 1000, 10).map((e) => e.dedupeKey), ['unban-1', 'ban-3', 'ban-2'], 'oldest due first');
  assert.equal(box.enqueue([item('ban-1', 'x')]), 0, 'a dropped key is not revived');
  assert.equal(box.due('c', t + 1000, 2).length, 2, 'limit');
  assert.equal(box.purgeDone(t + 1), 1);
  assert.equal(box.enqueue([item('ban-1', 'x')]), 1, 'a purged key can be queued again');
}));

test('a barrier entry (a flush) waits for everything queued before it and holds back everything after it', withStore((store) => {
  const t = Date.now();
  const box = new Outbox(store.database, () => t);
  box.enqueue([item('ban-x', 'x'), item('ban-y', 'y'), item('flush', OUTBOX_BARRIER), item('ban-x2', 'x'), item('ban-z', 'z')]);
  const keys = (except: number[] = []) => box.due('c', t, 10, except).map((e) => e.dedupeKey);
  assert.deepEqual(keys(), ['ban-x', 'ban-y'], 'only what came before the barrier');
  const [x, y] = box.due('c', t, 10);
  assert.deepEqual(keys([x!.id]), ['ban-y'], 'running deliveries are left out');
  box.done(x!.id);
  assert.deepEqual(keys(), ['ban-y'], 'the barrier still waits for ban-y');
  box.done(y!.id);
  assert.deepEqual(keys(), ['flush'], 'then the barrier alone');
  box.done(box.due('c', t, 1)[0]!.id);
  assert.deepEqual(keys(), ['ban-x2', 'ban-z'], 'after it, the rest in order per key');
}));

test('worker: bounded concurrency, order per key, backoff with a cap, Retry-After, expiry dropped with a log line', withStore(async (store) => {
  const clock = new ManualClock();
  const { log, lines } = captureLog();
  const box = new Outbox(store.database, () => clock.now());
  const calls: string[] = [];
  const pending = new Map<string, (d: Delivery) => void>();
  const outcomes: string[] = [];
  const worker = new OutboxWorker({
    outbox: box, channel: 'c', clock, timers: clock, log, concurrency: 2, backoff: { minMs: 1000, maxMs: 4000 },
    deliver: (e: OutboxEntry) => new Promise<Delivery>((resolve) => { calls.push(e.dedupeKey); pending.set(e.dedupeKey, resolve); }),
    onOutcome: (e, o) => outcomes.push(`${e.dedupeKey}:${o}`),
  });
  worker.start();
  box.enqueue([item('a1', 'a'), item('a2', 'a'), item('b1', 'b'), item('c1', 'c'), item('old', 'd', { expiresAt: clock.now() - 1 })]);
  await settle();
  assert.deepEqual(calls, ['a1', 'b1'], 'two at once; a2 waits for a1');
  assert.equal(worker.active.now, 2);
  pending.get('a1')!({ kind: 'retry', error: 'HTTP 500' });
  await settle();
  assert.deepEqual(calls, ['a1', 'b1', 'c1'], 'a1 waits for its backoff, a2 stays behind it; c1 starts');
  pending.get('b1')!({ kind: 'done' });
  await settle();
  assert.ok(lines.some((l) => /dropped old: expired/.test(l.msg)), 'the expired one is dropped at the next free slot, without taking it');
  pending.get('c1')!({ kind: 'retry', at: clock.now() + 30_000, error: 'HTTP 429' });
  await clock.advance(999);
  assert.equal(calls.length, 3);
  await clock.advance(1);
  assert.deepEqual(calls.slice(3), ['a1'], 'first retry after 1 s');
  pending.get('a1')!(Promise.reject(new Error('connect ECONNREFUSED')) as never);
  await settle();
  await clock.advance(2000);
  assert.deepEqual(calls.slice(4), ['a1'], 'second retry after 2 s');
  pending.get('a1')!({ kind: 'retry', error: 'x' });
  await clock.advance(4000);
  assert.deepEqual(calls.slice(5), ['a1'], 'third after 4 s');
  pending.get('a1')!({ kind: 'retry', error: 'x' });
  await clock.advance(3999);
  assert.equal(calls.length, 6, 'the cap is 4 s');
  await clock.advance(1);
  assert.deepEqual(calls.slice(6), ['a1']);
  pending.get('a1')!({ kind: 'done' });
  await settle();
  assert.deepEqual(calls.slice(7), ['a2'], 'the unban follows its ban');
  pending.get('a2')!({ kind: 'done' });
  await clock.advance(30_000 - 1000 - 2000 - 4000 - 4000 - 1);
  assert.ok(!calls.slice(8).includes('c1'), 'Retry-After honoured');
  await clock.advance(1);
  assert.deepEqual(calls.slice(8), ['c1']);
  pending.get('c1')!({ kind: 'drop', reason: 'HTTP 422 refused' });
  await settle();
  assert.equal(box.depth(), 0);
  assert.deepEqual(outcomes.filter((o) => !o.endsWith('failed')), ['b1:sent', 'old:dropped', 'a1:sent', 'a2:sent', 'c1:dropped']);
  assert.equal(worker.active.peak, 2);
  await worker.stop();
  assert.equal(clock.timers, 0, 'no timer left behind');
}));

test('worker: a deliverer that throws is a failed attempt, a closed store is logged, neither throws', withStore(async (store) => {
  const clock = new ManualClock();
  const { log, lines } = captureLog();
  const box = new Outbox(store.database, () => clock.now());
  let n = 0;
  const worker = new OutboxWorker({
    outbox: box, channel: 'c', clock, timers: clock, log, backoff: { minMs: 100, maxMs: 100 },
    deliver: async () => { n++; if (n === 1) throw new Error('boom'); return { kind: 'done' }; },
  });
  worker.start();
  box.enqueue([item('a')]);
  await settle();
  assert.equal(box.get(box.due('c', clock.now() + 100, 1)[0]!.id)!.lastError, 'boom');
  await clock.advance(100);
  assert.equal(box.depth(), 0);
  box.enqueue([item('b')]);
  store.database.close();
  worker.kick();
  await settle();
  assert.ok(lines.some((l) => /store (read|write) failed/.test(l.msg)), 'store error logged');
  await worker.stop();
}));

test('kill -9 with 500 entries queued: after a restart every key is delivered, repeats only for the few in flight at the kill', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'f2b-outbox-crash-'));
  const seen: { key: string; order: string; seq: number }[] = [];
  let child: ChildProcess | null = null;
  let killAt = 100;
  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push(JSON.parse(Buffer.concat(chunks).toString()) as { key: string; order: string; seq: number });
      if (seen.length === killAt && child) { child.kill('SIGKILL'); return; }
      res.end('ok');
    });
  };
  const server = createServer(onRequest);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
  const run = async (): Promise<{ code: number | null; signal: string | null; out: string }> => {
    const c = spawn(process.execPath, [join(import.meta.dirname, 'support', 'outbox-child.js'), join(dir, 'f2b.sqlite3'), url, '500'], { stdio: ['ignore', 'pipe', 'inherit'] });
    child = c;
    let out = '';
    c.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
    const [code, signal] = await once(c, 'exit') as [number | null, string | null];
    return { code, signal, out };
  };
  try {
    const first = await run();
    assert.equal(first.signal, 'SIGKILL');
    assert.match(first.out, /queued 500/);
    const before = seen.length;
    killAt = -1;
    const second = await run();
    assert.equal(second.code, 0);
    assert.match(second.out, /drained/);
    const counts = new Map<string, number>();
    for (const s of seen) counts.set(s.key, (counts.get(s.key) ?? 0) + 1);
    assert.equal(counts.size, 500, 'every key delivered');
    const repeated = [...counts].filter(([, n]) => n > 1).map(([k]) => k);
    assert.ok(repeated.length <= 4, `at most the 4 in flight at the kill are delivered again (${repeated.join(', ')})`);
    const firstRun = new Set(seen.slice(0, before).map((s) => s.key));
    for (const k of repeated) assert.ok(firstRun.has(k), `${k} repeated only because it was in flight at the kill`);
    for (const n of counts.values()) assert.ok(n <= 2);
    const lastSeq = new Map<string, number>();
    for (const s of seen) {
      if (counts.get(s.key)! > 1 && seen.indexOf(s) < before) continue;
      assert.ok((lastSeq.get(s.order) ?? -1) < s.seq, `${s.key} after the earlier entries of ${s.order}`);
      lastSeq.set(s.order, s.seq);
    }
    const store = BanStore.open(join(dir, 'f2b.sqlite3'));
    assert.equal(new Outbox(store.database).depth(), 0);
    store.close();
  } finally {
    (child as ChildProcess | null)?.kill('SIGKILL');
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
