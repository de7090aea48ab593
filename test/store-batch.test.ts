/**
 * The store's set-based batch writes and the read-position gate the ban
 * manager holds (src/bans/store.ts, src/bans/manager.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BanStore, type PositionGate } from '../src/bans/store.js';

function tempDb(): { file: string; done(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'f2b-batch-'));
  return { file: join(dir, 'f2b.sqlite3'), done: () => rmSync(dir, { recursive: true, force: true }) };
}

const T0 = 1_700_000_000_000;
const ban = (jail: string, addr: string, at = T0) => ({ jail, addr, bannedAt: at, expiresAt: at + 600_000, reason: 'maxretry reached', matches: [`"quoted" \\ line for ${addr}`, 'ünïcode'] });

test('one batch of 5,000 bans: every row and history entry written, counts per jail, a repeated key counted twice', () => {
  const t = tempDb();
  try {
    const s = BanStore.open(t.file);
    s.addBans([ban('sshd', '203.0.113.9', T0 - 1000)]);
    const batch = [...Array(5000).keys()].map((i) => ban('sshd', `2001:db8:1::${(i + 1).toString(16)}`));
    batch.push(ban('sshd', '203.0.113.9'), ban('web', '203.0.113.9'), ban('web', '203.0.113.9', T0 + 1));
    const recs = s.transaction(() => s.addBans(batch));
    assert.equal(recs.length, 5003);
    assert.equal(recs[0]!.banCount, 1);
    assert.deepEqual(recs.slice(5000).map((r) => [r.jail, r.banCount]), [['sshd', 2], ['web', 1], ['web', 2]]);
    s.close();
    const r = BanStore.open(t.file);
    assert.equal(r.countCurrent(T0 + 10), 5002);
    const web = r.currentBan('web', '203.0.113.9', T0 + 10)!;
    assert.equal(web.bannedAt, T0 + 1, 'the later copy of a key wins');
    assert.equal(web.banCount, 2);
    assert.deepEqual(web.matches, batch[5000]!.matches, 'matches round-trip through the JSON rows');
    assert.equal(r.history('203.0.113.9').length, 4);
    assert.equal(r.history('2001:db8:1::1388')[0]!.expiresAt, T0 + 600_000);
    const keys = [{ jail: 'sshd', addr: '2001:db8:1::1' }, { jail: 'sshd', addr: '192.0.2.1' }, { jail: 'web', addr: '203.0.113.9' }];
    assert.deepEqual(r.currentBans(keys, T0 + 10).map((b) => b?.addr), ['2001:db8:1::1', undefined, '203.0.113.9']);
    assert.equal(r.banCount('203.0.113.9', 'web'), 2);
    r.close();
  } finally { t.done(); }
});

test('a read position waits for the gate: written once the work before it has passed, never before', async () => {
  const t = tempDb();
  try {
    const s = BanStore.open(t.file);
    let ticket = 0;
    let passed = 0;
    const gate: PositionGate = { ticket: () => ticket, passed: () => passed };
    s.gatePositions(gate);
    const other = BanStore.open(t.file);
    ticket = 3; // three decisions submitted before the lines up to offset 100 were read
    s.set('/var/log/auth.log', { offset: 100, firstLineHash: 'ab' });
    ticket = 5;
    s.set('/var/log/auth.log', { offset: 200, firstLineHash: 'ab' });
    await new Promise((r) => setImmediate(r));
    assert.equal(other.get('/var/log/auth.log'), undefined, 'nothing written while the bans before it are not stored');
    assert.deepEqual(s.get('/var/log/auth.log'), { offset: 200, firstLineHash: 'ab' }, 'the reader sees where it is');
    passed = 4;
    s.flushPositions();
    assert.deepEqual(other.get('/var/log/auth.log'), { offset: 100, firstLineHash: 'ab' }, 'the position whose bans are stored');
    passed = 5;
    s.flushPositions();
    assert.deepEqual(other.get('/var/log/auth.log'), { offset: 200, firstLineHash: 'ab' });
    ticket = 6;
    s.set('/var/log/auth.log', { offset: 300, firstLineHash: 'ab' });
    s.close();
    assert.deepEqual(other.get('/var/log/auth.log'), { offset: 200, firstLineHash: 'ab' }, 'close does not write past the gate');
    other.close();
  } finally { t.done(); }
});

test('claimRun: true after a run that did not close the store, false after a clean close', () => {
  const t = tempDb();
  try {
    const a = BanStore.open(t.file);
    assert.equal(a.claimRun(), false, 'a new store');
    a.close();
    const b = BanStore.open(t.file);
    assert.equal(b.claimRun(), false, 'after a clean close');
    // b is never closed: the process died.
    const c = BanStore.open(t.file);
    assert.equal(c.claimRun(), true, 'after a run that did not stop cleanly');
    c.close();
    b.database.close();
  } finally { t.done(); }
});
