import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { BanStore } from '../src/bans/store.js';
import { SCHEMA_VERSION } from '../src/bans/schema.js';

function tempDb(): { file: string; done(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'f2b-store-'));
  return { file: join(dir, 'sub', 'f2b.sqlite3'), done: () => rmSync(dir, { recursive: true, force: true }) };
}

const T0 = 1_700_000_000_000;
const ban = (jail: string, addr: string, bannedAt: number, ttlSec: number | null) => ({
  jail, addr, bannedAt, expiresAt: ttlSec === null ? null : bannedAt + ttlSec * 1000, reason: 'maxretry reached', matches: [`line for ${addr}`],
});

test('a new store is created with WAL and the current schema version', () => {
  const t = tempDb();
  try {
    BanStore.open(t.file).close();
    const db = new Database(t.file, { readonly: true });
    assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    assert.equal(db.pragma('user_version', { simple: true }), SCHEMA_VERSION);
    db.close();
  } finally { t.done(); }
});

test('a database from a newer f2b-fw is refused with the file named', () => {
  const t = tempDb();
  try {
    BanStore.open(t.file).close();
    const db = new Database(t.file);
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    assert.throws(() => BanStore.open(t.file), (e: Error) => e.message.includes(t.file) && /newer/.test(e.message));
  } finally { t.done(); }
});

test('bans persist across reopen; expired ones leave current but stay in history', () => {
  const t = tempDb();
  try {
    const s = BanStore.open(t.file);
    s.addBans([ban('sshd', '203.0.113.9', T0, 600), ban('sshd', '2001:db8::1', T0, null), ban('web', '198.51.100.0/24', T0, 60)]);
    s.close();
    const r = BanStore.open(t.file);
    assert.deepEqual(r.current(T0 + 1000).map((b) => b.addr).sort(), ['198.51.100.0/24', '2001:db8::1', '203.0.113.9']);
    assert.equal(r.countCurrent(T0 + 61_000), 2);
    assert.deepEqual(r.bansForKernel(T0 + 61_000).map((b) => [b.jail, b.addr, b.expiresAt]).sort(), [
      ['sshd', '2001:db8::1', null], ['sshd', '203.0.113.9', T0 + 600_000],
    ]);
    const expired = r.expire(T0 + 61_000);
    assert.deepEqual(expired.map((b) => b.addr), ['198.51.100.0/24']);
    assert.equal(r.currentBan('web', '198.51.100.0/24', T0), undefined);
    assert.equal(r.history('198.51.100.0/24').length, 1);
    assert.deepEqual(r.current(T0, 'sshd')[0]!.matches.length, 1);
    r.close();
  } finally { t.done(); }
});

test('ban counts grow with each ban and feed BanHistory per jail and overall', () => {
  const s = BanStore.open(':memory:');
  s.addBans([ban('sshd', '203.0.113.9', T0, 60)]);
  s.addBans([ban('sshd', '203.0.113.9', T0 + 120_000, 120)]);
  const [rec] = s.addBans([ban('recidive', '203.0.113.9', T0 + 300_000, 600)]);
  assert.equal(s.banCount('203.0.113.9', 'sshd'), 2);
  assert.equal(s.banCount('203.0.113.9'), 3);
  assert.equal(rec!.banCount, 1);
  assert.equal(s.currentBan('sshd', '203.0.113.9', T0 + 121_000)!.banCount, 2);
  assert.equal(s.history('203.0.113.9').length, 3);
  assert.equal(s.banCount('192.0.2.1'), 0);
  s.close();
});

test('manual removal ends the history entry; purge drops old history but never a current ban', () => {
  const s = BanStore.open(':memory:');
  s.addBans([ban('sshd', '203.0.113.9', T0, 60), ban('sshd', '203.0.113.10', T0, null)]);
  const removed = s.removeBans([{ jail: 'sshd', addr: '203.0.113.9' }, { jail: 'sshd', addr: '192.0.2.77' }], T0 + 5000);
  assert.deepEqual(removed, [{ jail: 'sshd', addr: '203.0.113.9' }]);
  assert.equal(s.history('203.0.113.9')[0]!.endedAt, T0 + 5000);
  assert.equal(s.purge(T0 + 10 * 86400_000, 86400), 1);
  assert.equal(s.history('203.0.113.10').length, 1, 'the permanent current ban keeps its history');
  s.close();
});

test('read positions round-trip (PositionStore) and reach the file on the next turn or at close', async () => {
  const t = tempDb();
  try {
    const s = BanStore.open(t.file);
    assert.equal(s.get('/var/log/auth.log'), undefined);
    s.set('/var/log/auth.log', { offset: 123, firstLineHash: 'ab', inode: 42 });
    s.set('/var/log/auth.log', { offset: 456, firstLineHash: 'cd' });
    assert.deepEqual(s.get('/var/log/auth.log'), { offset: 456, firstLineHash: 'cd' });
    await new Promise((r) => setImmediate(r));
    const other = BanStore.open(t.file);
    assert.deepEqual(other.get('/var/log/auth.log'), { offset: 456, firstLineHash: 'cd' });
    s.set('/var/log/syslog', { offset: 7, firstLineHash: 'ef' });
    s.close();
    assert.deepEqual(other.get('/var/log/syslog'), { offset: 7, firstLineHash: 'ef' });
    other.close();
  } finally { t.done(); }
});

test('imported bans keep their count and do not shorten a longer ban', () => {
  const s = BanStore.open(':memory:');
  s.addBans([ban('sshd', '203.0.113.9', T0, null)]);
  const n = s.importBans([
    { ...ban('sshd', '203.0.113.9', T0, 60), banCount: 5 },
    { ...ban('sshd', '198.51.100.7', T0, 60), banCount: 4 },
  ], T0);
  assert.equal(n, 1);
  assert.equal(s.banCount('198.51.100.7', 'sshd'), 4);
  assert.equal(s.currentBan('sshd', '203.0.113.9', T0)!.expiresAt, null);
  const [next] = s.addBans([ban('sshd', '198.51.100.7', T0 + 100_000, 60)]);
  assert.equal(next!.banCount, 5);
  s.close();
});

test('jailsWithBans lists each jail holding a ban once (expired ones included until swept), none for an empty store', () => {
  const store = BanStore.open(':memory:');
  try {
    assert.deepEqual(store.jailsWithBans(), []);
    store.addBans([ban('web', '192.0.2.1', T0, 60), ban('sshd', '192.0.2.1', T0, 60), ban('web', '192.0.2.2', T0, 60), ban('a-jail', '2001:db8::1', T0, 1)]);
    assert.deepEqual(store.jailsWithBans().sort(), ['a-jail', 'sshd', 'web']);
    store.removeBans([{ jail: 'sshd', addr: '192.0.2.1' }], T0 + 1000);
    assert.deepEqual(store.jailsWithBans().sort(), ['a-jail', 'web']);
  } finally { store.close(); }
});
