import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { readFail2banDb } from '../src/bans/import-fail2ban.js';
import { makeFail2banDb } from './support/fail2ban-db.js';

test('bans in force are read from a fail2ban 0.11+ database (bips), expired and broken rows left out', () => {
  const dir = mkdtempSync(join(tmpdir(), 'f2b-import-'));
  try {
    const now = 1_700_000_000_000;
    const file = join(dir, 'fail2ban.sqlite3');
    makeFail2banDb(file, now / 1000, [
      { jail: 'sshd', ip: '192.0.2.10', ago: 600, bantime: 3600, bancount: 1 },
      { jail: 'sshd', ip: '192.0.2.11', ago: 7200, bantime: 3600, bancount: 2 },
      { jail: 'sshd', ip: '198.51.100.7', ago: 86400, bantime: -1, bancount: 3 },
      { jail: 'nginx', ip: '2001:db8::5', ago: 10, bantime: 600, bancount: 1 },
    ]);
    const read = readFail2banDb(file, now);
    assert.equal(read.table, 'bips');
    assert.equal(read.rows, 4);
    const byAddr = new Map(read.inForce.map((b) => [b.addr, b]));
    assert.deepEqual([...byAddr.keys()].sort(), ['192.0.2.10', '198.51.100.7', '2001:db8::5']);
    assert.equal(byAddr.get('192.0.2.10')!.expiresAt, now - 600_000 + 3600_000);
    assert.equal(byAddr.get('198.51.100.7')!.expiresAt, null);
    assert.equal(byAddr.get('198.51.100.7')!.banCount, 3);
    assert.deepEqual(byAddr.get('192.0.2.10')!.matches, ['Failed password for root from 192.0.2.10']);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('a database that is not fail2ban\'s is refused with its path', () => {
  const dir = mkdtempSync(join(tmpdir(), 'f2b-import-'));
  try {
    const file = join(dir, 'other.sqlite3');
    const db = new Database(file);
    db.exec('CREATE TABLE t (x)');
    db.close();
    assert.throws(() => readFail2banDb(file, Date.now()), (e: Error) => e.message.includes(file) && /not a fail2ban database/.test(e.message));
    assert.throws(() => readFail2banDb(join(dir, 'missing'), Date.now()), /no such fail2ban database/);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});
