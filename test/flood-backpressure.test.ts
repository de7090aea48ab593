/**
 * A flood waits in its log file, not in memory: the ban manager says when its
 * queue is full (`room`), the file reader waits before its next read, and no
 * line is lost or read twice across the pause (issue 10 item 3).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { pino } from 'pino';
import { KernelQueue } from '../src/bans/kernel-queue.js';
import { BanManager } from '../src/bans/manager.js';
import { BanStore } from '../src/bans/store.js';
import { NullDriver } from '../src/fw/null.js';
import { FileReader } from '../src/sources/file-reader.js';
import { LIMITS } from '../src/core/defaults.js';
import type { Ban, Line } from '../src/core/records.js';
import type { Clock } from '../src/core/clock.js';

/** The null driver, holding every ban transaction until `release()`. */
class HeldDriver extends NullDriver {
  private gate!: () => void;
  private held = new Promise<void>((r) => { this.gate = r; });
  release(): void {
    this.gate();
  }
  override async ban(bans: readonly Ban[]): Promise<void> {
    await this.held;
    return super.ban(bans);
  }
}

test('the manager asks readers to wait while LIMITS.pendingBans decisions are pending, and wakes them once they settle', async () => {
  const clock: Clock = { now: () => 1_700_000_000_000 };
  const store = BanStore.open(':memory:');
  const driver = new HeldDriver(clock);
  let bursts = 0;
  const manager = new BanManager({
    store, clock, log: pino({ level: 'silent' }), driver, kernel: new KernelQueue(), onKernelError: (e) => { throw e; },
    afterBurst: () => bursts++,
  });
  const n = LIMITS.pendingBans;
  const addr = (i: number): string => `2001:db8:${(i >>> 16).toString(16)}:${(i & 0xffff).toString(16)}::1`;
  assert.equal(manager.room(), undefined, 'an empty queue has room');
  const applied = [...Array(n).keys()].map((i) => manager.submit({ op: 'ban', jail: 'flood', addr: addr(i), ttl: 3600, reason: 'maxretry reached', matches: [] }));
  const wait = manager.room();
  assert.ok(wait instanceof Promise, 'a full queue makes readers wait');
  let woken = false;
  void wait.then(() => { woken = true; });
  await new Promise((r) => setImmediate(r));
  assert.equal(woken, false, 'nobody is woken while the kernel holds the batch');
  driver.release();
  await wait;
  await Promise.all(applied);
  assert.equal(manager.room(), undefined);
  assert.equal(store.countCurrent(clock.now()), n, 'every pending ban was recorded');
  assert.equal((await driver.list('flood')).length, n, 'and is in the kernel');
  assert.equal(bursts, 1, 'the end of the burst is told once');
  store.close();
});

test('a reader paused by backpressure hands out every line once, in order, after it resumes', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'f2b-flood-bp-'));
  try {
    const path = join(dir, 'flood.log');
    const want = [...Array(200).keys()].map((i) => `FAIL login from 203.0.113.${i % 250} line ${i}`);
    writeFileSync(path, want.join('\n') + '\n');
    const got: Line[] = [];
    let release!: () => void;
    let blocked!: () => void;
    const isBlocked = new Promise<void>((r) => { blocked = r; });
    const gate = new Promise<void>((r) => { release = r; });
    let asked = 0;
    const reader = await FileReader.open(path, {
      clock: { now: () => 1 }, lineBytes: LIMITS.lineBytes, chunk: Buffer.alloc(100),
      onLine: (l) => got.push(l), onError: (e) => { throw e; },
      // Full once 20 lines are out, until released.
      room: () => {
        asked++;
        if (got.length < 20) return undefined;
        blocked();
        return gate;
      },
    });
    const done = reader.readToEnd();
    await isBlocked;
    const whileBlocked = got.length;
    const askedWhileBlocked = asked;
    await new Promise((r) => setImmediate(r));
    assert.equal(got.length, whileBlocked, 'nothing more is read while the consumer is full');
    assert.equal(asked, askedWhileBlocked, 'the reader waits instead of asking again');
    assert.ok(whileBlocked < 30, `a paused reader stopped after one chunk beyond the mark (${whileBlocked} lines)`);
    release();
    assert.equal(await done, 'eof');
    assert.deepEqual(got.map((l) => l.text), want, 'every line once, in order');
    await reader.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
