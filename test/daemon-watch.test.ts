import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { NetlinkMessage } from '../native/netlink/socket.js';
import { TransactionTracker } from '../native/netlink/ruleset-watch.js';

/** One nftables event: nfgenmsg header then attributes (type, payload). */
function msg(kind: number, attrs: [number, Buffer][]): NetlinkMessage {
  const parts: Buffer[] = [Buffer.from([1, 0, 0, 0])];
  for (const [type, payload] of attrs) {
    const len = 4 + payload.length;
    const head = Buffer.alloc(4);
    head.writeUInt16LE(len, 0);
    head.writeUInt16LE(type, 2);
    parts.push(head, payload, Buffer.alloc((4 - (len % 4)) % 4));
  }
  return { type: (10 << 8) | kind, flags: 0, seq: 0, payload: Buffer.concat(parts) };
}
const str = (s: string): Buffer => Buffer.from(`${s}\0`);
const u32 = (n: number): Buffer => { const b = Buffer.alloc(4); b.writeUInt32BE(n, 0); return b; };
const NEWGEN = (gen: number, pid: number): NetlinkMessage => msg(15, [[1, u32(gen)], [2, u32(pid)], [3, str('nft')]]);

test('a foreign transaction touching our table is reported once, at its NEWGEN; ours and other tables are not', () => {
  const t = new TransactionTracker('f2b-fw', (pid) => pid === 100);
  // Someone else adds a table of their own: not ours.
  assert.equal(t.feed(msg(0, [[1, str('filter')]])), false);
  assert.equal(t.feed(NEWGEN(7, 555)), false);
  // We change our own table: not news.
  assert.equal(t.feed(msg(12, [[1, str('f2b-fw')], [2, str('sshd-v4')]])), false);
  assert.equal(t.feed(NEWGEN(8, 100)), false);
  // `nft flush ruleset` by another process deletes our set and table.
  assert.equal(t.feed(msg(11, [[1, str('f2b-fw')], [2, str('sshd-v4')]])), false);
  assert.equal(t.feed(msg(2, [[1, str('f2b-fw')]])), false);
  assert.equal(t.feed(NEWGEN(9, 555)), true);
  assert.equal(t.lastGeneration, 9);
  // A table merely named like ours in a prefix is not ours.
  assert.equal(t.feed(msg(0, [[1, str('f2b-fw2')]])), false);
  assert.equal(t.feed(NEWGEN(10, 555)), false);
  // Messages of other subsystems are ignored.
  assert.equal(t.feed({ ...msg(2, [[1, str('f2b-fw')]]), type: (1 << 8) | 2 }), false);
  assert.equal(t.feed(NEWGEN(11, 555)), false);
});
