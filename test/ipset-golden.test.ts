/** Golden payloads: the ipset messages we build against what the `ipset` tool sent (fixtures; no root needed). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { elementRequest } from '../native/ipset/messages.js';
import { CMD, ipsetMsgType } from '../native/ipset/protocol.js';
import { parseStracedMessage } from './support/strace-netlink.js';

const fixture = (name: string): { command: string; strace: string } =>
  JSON.parse(readFileSync(fileURLToPath(new URL(`../../test/fixtures/netlink/${name}`, import.meta.url)), 'utf8')) as { command: string; strace: string };

/** The tool's DATA nest ends with IPSET_ATTR_LINENO 0 (the line of an `ipset restore` script); we send no line number. */
function withoutLineno(payload: Buffer): Buffer {
  const lineno = Buffer.from([8, 0, 9, 0x40, 0, 0, 0, 0]);
  const at = payload.lastIndexOf(lineno);
  assert.equal(at, payload.length - 8, 'LINENO is the last attribute of the DATA nest');
  const out = Buffer.from(payload.subarray(0, at));
  // The DATA nest (attribute 7, nested) is the last top-level attribute: shorten it.
  const dataAt = out.indexOf(Buffer.from([0x07, 0x80])) - 2;
  out.writeUInt16LE(out.readUInt16LE(dataAt) - 8, dataAt);
  return out;
}

test('ipset add with a timeout: our message is the ipset tool\'s, byte for byte (but its restore line number)', () => {
  const fx = fixture('ipset-add-timeout.json');
  const tool = parseStracedMessage(fx.strace);
  assert.equal(tool.command, 'IPSET_CMD_ADD');
  // -exist: no NLM_F_EXCL; NetlinkSocket adds REQUEST and ACK to every request.
  assert.deepEqual(tool.flags, ['NLM_F_REQUEST', 'NLM_F_ACK']);
  const ours = elementRequest({ op: 'add', set: 'f2b-gold', element: { addr: '203.0.113.9', timeout: 60 } });
  assert.equal(ours.type, ipsetMsgType(CMD.ADD));
  assert.equal(ours.flags, 0);
  assert.equal(ours.payload.toString('hex'), withoutLineno(tool.payload).toString('hex'));
});
