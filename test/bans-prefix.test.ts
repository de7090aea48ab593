import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { pino } from 'pino';
import { BanManager } from '../src/bans/manager.js';
import { BanStore } from '../src/bans/store.js';
import { KernelQueue } from '../src/bans/kernel-queue.js';
import { NullDriver } from '../src/fw/null.js';
import type { Decision } from '../src/core/records.js';
import type { Clock } from '../src/core/clock.js';
import { readFail2banDb } from '../src/bans/import-fail2ban.js';
import { makeFail2banDb } from './support/fail2ban-db.js';

const NOW = 1_700_000_000_000;
const clock: Clock = { now: () => NOW };

function setup() {
  const lines: { msg: string; event?: string; addresses?: number }[] = [];
  const log = pino({ level: 'info' }, { write: (l: string) => { lines.push(JSON.parse(l) as { msg: string }); } });
  const store = BanStore.open(':memory:');
  const driver = new NullDriver(clock);
  const manager = new BanManager({ store, clock, log, driver, kernel: new KernelQueue(), onKernelError: (e) => { throw e; } });
  return { store, driver, manager, lines };
}

const decision = (addr: string, extra: Partial<Decision> = {}): Decision =>
  ({ op: 'ban', jail: 'sshd', addr, ttl: 600, reason: 'maxretry reached', matches: [`FAIL ${addr}`], ...extra });

test('a prefix ban folds the bans it covers out of store and kernel, and logs how many addresses made it', async () => {
  const t = setup();
  for (const a of ['2001:db8:7::1', '2001:db8:7::2', '2001:db8:7:0:1::/80', '2001:db8:8::1']) await t.manager.submit(decision(a));
  await t.manager.submit(decision('2001:db8:7::/64', { addresses: 3, reason: 'escalated' }));
  await t.manager.idle();
  assert.deepEqual(t.store.current(NOW).map((b) => b.addr).sort(), ['2001:db8:7::/64', '2001:db8:8::1']);
  assert.deepEqual((await t.driver.list('sshd')).map((b) => b.addr).sort(), ['2001:db8:7::/64', '2001:db8:8::1'], 'no overlapping element left');
  const ban = t.lines.find((l) => l.event === 'ban' && l.msg.includes('/64'));
  assert.equal(ban?.msg, '[sshd] Ban 2001:db8:7::/64 (3 addresses)');
  assert.equal(ban?.addresses, 3);
  assert.equal(t.lines.filter((l) => l.event === 'unban' && /folded into 2001:db8:7::\/64/.test(JSON.stringify(l))).length, 3);
  // The prefix is a record of its own: its count, its history; the folded ones are ended, not counted twice.
  assert.equal(t.store.currentBan('sshd', '2001:db8:7::/64', NOW)?.addresses, 3);
  assert.equal(t.store.banCount('2001:db8:7::/64', 'sshd'), 1);
  assert.equal(t.store.history('2001:db8:7::1')[0]?.endedAt, NOW);
  assert.deepEqual(t.store.history('2001:db8:7::1', true).map((h) => h.addr), ['2001:db8:7::/64', '2001:db8:7::1']);
  assert.deepEqual(t.store.holding('2001:db8:7::99', NOW).map((b) => b.addr), ['2001:db8:7::/64']);
  // A narrower prefix inside a banned one is held already.
  const again = await t.manager.submit(decision('2001:db8:7::/96'));
  assert.equal(again.fresh, false);
  assert.equal(again.record.addr, '2001:db8:7::/64');
});

test('schema 4 keeps an older database and adds the addresses column', () => {
  const dir = mkdtempSync(join(tmpdir(), 'f2b-prefix-'));
  try {
    const file = join(dir, 'f2b.sqlite3');
    const old = new Database(file);
    old.exec(`CREATE TABLE bans (jail TEXT NOT NULL, addr TEXT NOT NULL, banned_at INTEGER NOT NULL, expires_at INTEGER, ban_count INTEGER NOT NULL,
      reason TEXT NOT NULL, matches TEXT NOT NULL, history_id INTEGER NOT NULL, PRIMARY KEY (jail, addr)) WITHOUT ROWID;
      CREATE INDEX bans_expires ON bans (expires_at) WHERE expires_at IS NOT NULL; CREATE INDEX bans_addr ON bans (addr);
      CREATE TABLE history (id INTEGER PRIMARY KEY, jail TEXT NOT NULL, addr TEXT NOT NULL, banned_at INTEGER NOT NULL, expires_at INTEGER,
      ended_at INTEGER, reason TEXT NOT NULL, matches TEXT NOT NULL);
      CREATE INDEX history_addr ON history (addr, jail); CREATE INDEX history_banned_at ON history (banned_at);
      CREATE TABLE positions (path TEXT PRIMARY KEY, offset INTEGER NOT NULL, first_line_hash TEXT NOT NULL, inode INTEGER) WITHOUT ROWID;
      INSERT INTO history VALUES (1, 'sshd', '203.0.113.0/24', ${NOW}, NULL, NULL, 'manual', '[]');
      INSERT INTO bans VALUES ('sshd', '203.0.113.0/24', ${NOW}, NULL, 1, 'manual', '[]', 1);
      PRAGMA user_version = 1;`);
    old.close();
    const s = BanStore.open(file);
    assert.deepEqual(s.current(NOW).map((b) => [b.addr, b.addresses]), [['203.0.113.0/24', undefined]]);
    s.addBans([{ jail: 'sshd', addr: '198.51.100.0/24', bannedAt: NOW, expiresAt: null, reason: 'escalated', matches: [], addresses: 4 }]);
    assert.equal(s.currentBan('sshd', '198.51.100.0/24', NOW)?.addresses, 4);
    s.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("fail2ban's database: addresses in any spelling and prefixes are read canonically, an imported prefix folds what it covers", () => {
  const dir = mkdtempSync(join(tmpdir(), 'f2b-prefix-'));
  try {
    const f2b = join(dir, 'fail2ban.sqlite3');
    makeFail2banDb(f2b, Math.floor(NOW / 1000), [
      { ip: '2001:DB8:7:0::5', jail: 'sshd', ago: 10, bantime: 3600, bancount: 1 },
      { ip: '2001:db8:7::1234/64', jail: 'sshd', ago: 5, bantime: 3600, bancount: 2 },
      { ip: '203.0.113.0/0x18', jail: 'sshd', ago: 5, bantime: 3600, bancount: 1 },
    ]);
    const read = readFail2banDb(f2b, NOW);
    assert.deepEqual(read.inForce.map((b) => b.addr), ['2001:db8:7::5', '2001:db8:7::/64']);
    assert.equal(read.unreadable, 1);
    const s = BanStore.open(':memory:');
    assert.equal(s.importBans(read.inForce.map((b) => ({ ...b, reason: 'imported' })), NOW), 2);
    assert.deepEqual(s.current(NOW).map((b) => b.addr), ['2001:db8:7::/64']);
    s.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a prefix split around an ignored address reaches the kernel as its ranges, and leaves it whole on unban', async () => {
  const t = setup();
  await t.manager.submit(decision('2001:db8:7::/64', { except: ['2001:db8:7::53'], addresses: 3 }));
  await t.manager.idle();
  assert.deepEqual(t.store.currentBan('sshd', '2001:db8:7::/64', NOW)?.except, ['2001:db8:7::53']);
  assert.equal((await t.driver.list('sshd')).length, 64);
  assert.equal(t.store.bansForKernel(NOW).length, 64, 'reconcile and restore see the same ranges');
  assert.deepEqual(await t.manager.unban([{ jail: 'sshd', addr: '2001:db8:7::/64' }]), [{ jail: 'sshd', addr: '2001:db8:7::/64' }]);
  assert.equal((await t.driver.list('sshd')).length, 0);
});
