/** Golden payloads: the ipset messages we build against what the `ipset` tool sent (fixtures; no root needed). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createRequest, elementRequest, listRequest, setRequest, swapRequest, typeRequest } from '../native/ipset/messages.js';
import { NLM_F, type NetlinkRequest as NetlinkRequestLike } from '../native/netlink/socket.js';
import { CMD, ipsetMsgType } from '../native/ipset/protocol.js';
import { parseStracedMessage } from './support/strace-netlink.js';
import { attrTree, ATTR_TYPE_BITS, type Attr } from './support/attr-tree.js';

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

interface Captured { readonly type: number; readonly flags: number; readonly hex: string }
const IPSET_ATTR_DATA = 7;
const IPSET_ATTR_LINENO = 9;

/** The message of ipset command `cmd` in capture `name` (test/fixtures/netlink/ipset/, written by test/support/capture-netlink.ts). */
function captured(name: string, cmd: number): { command: string; flags: number; nfgen: string; attrs: Attr[] } {
  const fx = JSON.parse(readFileSync(fileURLToPath(new URL(`../../test/fixtures/netlink/ipset/${name}.json`, import.meta.url)), 'utf8')) as { command: string; messages: Captured[] };
  const m = fx.messages.find((x) => x.type === ipsetMsgType(cmd));
  assert.ok(m, `${name}: the tool sent command ${cmd}`);
  const buf = Buffer.from(m.hex, 'hex');
  const attrs = attrTree(buf.subarray(20)).map((a) => ((a.type & ATTR_TYPE_BITS) === IPSET_ATTR_DATA
    ? { type: a.type, value: (a.value as Attr[]).filter((d) => (d.type & ATTR_TYPE_BITS) !== IPSET_ATTR_LINENO) } : a));
  return { command: fx.command, flags: m.flags, nfgen: buf.subarray(16, 20).toString('hex'), attrs };
}

/**
 * Every request the ipset backend builds against the ipset tool's for the
 * same command. Normalised, as ip_set does not read them: the tool's
 * IPSET_ATTR_LINENO 0 in DATA (its restore line), NLM_F_CREATE on CREATE
 * (ip_set only looks at NLM_F_EXCL), and the flags of LIST (ip_set_dump
 * starts a dump whatever they are; the tool sends ROOT|ACK, we DUMP).
 * NetlinkSocket adds NLM_F_REQUEST to ours.
 */
test('create, type, add (net), del, list, headers, swap, flush and destroy are what the ipset tool sends', () => {
  const cases: [string, number, NetlinkRequestLike, boolean][] = [
    ['create-hash-ip', CMD.CREATE, createRequest({ name: 'f2b-gold', type: 'hash:ip', family: 'inet', timeout: 0, maxelem: 65536 }, 6), true],
    ['create-hash-net6', CMD.CREATE, createRequest({ name: 'f2b-gold6', type: 'hash:net', family: 'inet6', timeout: 0, maxelem: 65536 }, 7), true],
    ['create-hash-ip', CMD.TYPE, typeRequest('hash:ip', 'inet'), true],
    ['add-net6-timeout', CMD.ADD, elementRequest({ op: 'add', set: 'f2b-gold6', element: { addr: '2001:db8:1::', cidr: 48, timeout: 60 } }), true],
    ['del-ip', CMD.DEL, elementRequest({ op: 'del', set: 'f2b-gold', element: { addr: '203.0.113.9' } }), true],
    ['list', CMD.LIST, listRequest('f2b-gold'), false],
    ['list-headers', CMD.LIST, listRequest('f2b-gold', true), false],
    ['swap', CMD.SWAP, swapRequest('f2b-gold-new', 'f2b-gold'), true],
    ['flush', CMD.FLUSH, setRequest(CMD.FLUSH, 'f2b-gold'), true],
    ['destroy', CMD.DESTROY, setRequest(CMD.DESTROY, 'f2b-gold'), true],
  ];
  for (const [name, cmd, ours, flags] of cases) {
    const tool = captured(name, cmd);
    assert.equal(ours.type, ipsetMsgType(cmd), name);
    const CREATE = 0x400;
    if (flags) assert.equal((NLM_F.REQUEST | ours.flags) & ~NLM_F.ACK, tool.flags & ~CREATE & ~NLM_F.ACK, `${name}: flags, ${tool.command}`);
    assert.deepEqual({ nfgen: ours.payload.subarray(0, 4).toString('hex'), attrs: attrTree(ours.payload.subarray(4)) }, { nfgen: tool.nfgen, attrs: tool.attrs }, `${name}: ${tool.command}`);
  }
});
