/**
 * Golden payload: the NEWSETELEM message our raw writer builds against what
 * `nft` sent for the same command (fixture captured with strace; no root
 * needed). nft orders an element's attributes TIMEOUT before KEY, leaves the
 * byte-order flag off the key data and names the set by SET_ID too; the
 * kernel reads attributes by type, so the comparison is of the attribute
 * trees with those differences named and normalised, nothing else.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SetElementWriter, elementChange } from '../native/nftables/set-elements.js';
import type { NfnlBatchSocket } from '../native/netlink/batch-socket.js';
import { parseStracedMessage } from './support/strace-netlink.js';

interface Attr { readonly type: number; readonly value: string | Attr[] }

const NLA_F_NESTED = 0x8000;
const NFTA_SET_ELEM_LIST_SET_ID = 4;

/** The attribute tree of a stream: children sorted by type, flag bits dropped. */
function tree(buf: Buffer): Attr[] {
  const out: Attr[] = [];
  for (let at = 0; at + 4 <= buf.length;) {
    const len = buf.readUInt16LE(at);
    const raw = buf.readUInt16LE(at + 2);
    const data = buf.subarray(at + 4, at + len);
    out.push({ type: raw & 0x3fff, value: raw & NLA_F_NESTED ? tree(data) : data.toString('hex') });
    at += (len + 3) & ~3;
  }
  return out.sort((a, b) => a.type - b.type);
}

test('our raw NEWSETELEM with a timeout carries what nft sends for `add element … { 203.0.113.9 timeout 60s }`', async () => {
  const fx = JSON.parse(readFileSync(fileURLToPath(new URL('../../test/fixtures/netlink/nft-add-element-timeout.json', import.meta.url)), 'utf8')) as { strace: string };
  const tool = parseStracedMessage(fx.strace, 'NFT_MSG_NEWSETELEM');
  assert.equal(tool.command, 'NFT_MSG_NEWSETELEM');
  assert.deepEqual(tool.flags, ['NLM_F_REQUEST', 'NLM_F_CREATE']);
  // Capture the batch the writer sends instead of sending it.
  let sent: Buffer | undefined;
  const sock = { transact: async (b: Buffer) => { sent = b; return new Map<number, number>(); } } as unknown as NfnlBatchSocket;
  const writer = new SetElementWriter(sock, 'inet', 'f2b-fw');
  await writer.apply([elementChange('add', 'gold-v4', [{ key: Buffer.from([203, 0, 113, 9]), timeoutMs: 60_000 }])]).catch(() => undefined);
  assert.ok(sent, 'a batch was built');
  // BATCH_BEGIN (20 bytes), then our NEWSETELEM.
  const len = sent.readUInt32LE(20);
  assert.equal(sent.readUInt16LE(24), (10 << 8) | 12, 'NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_NEWSETELEM');
  const flags = sent.readUInt16LE(26);
  assert.equal(flags & 0x400, 0x400, 'NLM_F_CREATE, as nft');
  const ours = sent.subarray(20 + 16, 20 + len);
  assert.equal(ours.subarray(0, 4).toString('hex'), tool.payload.subarray(0, 4).toString('hex'), 'nfgenmsg: family inet');
  const theirs = tree(tool.payload.subarray(4)).filter((a) => a.type !== NFTA_SET_ELEM_LIST_SET_ID);
  assert.deepEqual(tree(ours.subarray(4)), theirs);
});
