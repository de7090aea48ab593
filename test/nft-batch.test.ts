/**
 * NftBatch keeps the first error met while building and NftConn.flush
 * throws it without sending anything (no root, no kernel: the socket given
 * refuses to be used, so nothing can reach the host's firewall).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NftBatch, NftConn } from '../native/nftables/batch.js';
import { newTable } from '../native/nftables/table.js';
import { newChain } from '../native/nftables/chain.js';
import type { NfnlBatchSocket } from '../native/netlink/batch-socket.js';

const T = { family: 'inet', name: 'f2b-fw' } as const;

test('the first building error is kept, later messages are not added, and flush throws it without sending', async () => {
  const batch = new NftBatch()
    .add(() => newTable(T))
    .add(() => newChain({ table: T, name: 'odd', hook: 'nowhere', prio: 0, type: 'filter' }))
    .add(() => { throw new Error('second error'); })
    .add(() => newTable(T));
  assert.equal(batch.size, 1, 'only the message before the error');
  assert.match(String(batch.error), /chain odd: only base chains are built \(hook nowhere\)/);
  const refuse = { transact: () => { throw new Error('nothing may be sent'); } } as unknown as NfnlBatchSocket;
  await assert.rejects(new NftConn(refuse).flush(batch), /chain odd: only base chains/);
});

test('an empty batch sends nothing', async () => {
  const refuse = { transact: () => { throw new Error('nothing may be sent'); } } as unknown as NfnlBatchSocket;
  await new NftConn(refuse).flush(new NftBatch());
});
