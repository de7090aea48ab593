/**
 * ip_set message encoding and decoding without a kernel: the one-buffer
 * element encoder against the generic attribute encoder, LIST reply folding,
 * and the fast address conversions against ipaddr.js.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import ipaddr from 'ipaddr.js';
import { be32Attr, bytesAttr, encodeAttrs, nestedAttr, nfgenmsg, stringAttr, u8Attr } from '../native/netlink/attributes.js';
import { elementRequest, parseListReplies, type IpsetOp } from '../native/ipset/messages.js';
import { ATTR, CMD, DATA_ATTR, IPADDR_ATTR, NFPROTO, ipsetMsgType } from '../native/ipset/protocol.js';
import { addrToBytes, canonicalAddr } from '../native/ipset/address.js';
import { bytesText } from '../src/core/ip-text.js';

function generic(op: IpsetOp): Buffer {
  const bytes = Uint8Array.from(ipaddr.parse(op.element.addr).toByteArray());
  const data = [nestedAttr(DATA_ATTR.IP, [bytesAttr(bytes.length === 4 ? IPADDR_ATTR.IPV4 : IPADDR_ATTR.IPV6, bytes)])];
  if (op.element.cidr !== undefined) data.push(u8Attr(DATA_ATTR.CIDR, op.element.cidr));
  if (op.op === 'add' && op.element.timeout !== undefined) data.push(be32Attr(DATA_ATTR.TIMEOUT, op.element.timeout));
  return Buffer.concat([nfgenmsg(NFPROTO.IPV4), encodeAttrs([u8Attr(ATTR.PROTOCOL, 7), stringAttr(ATTR.SETNAME, op.set), nestedAttr(ATTR.DATA, data)])]);
}

test('the one-buffer element encoder writes what the generic attribute encoder writes', () => {
  const ops: IpsetOp[] = [
    { op: 'add', set: 'f2b-sshd', element: { addr: '192.0.2.1', timeout: 600 } },
    { op: 'add', set: 'f2b-sshd-6', element: { addr: '2001:db8::1', timeout: 0 } },
    { op: 'add', set: 'f2b-a-very-long-jail-0a1b2c-n6', element: { addr: '2001:db8:5::', cidr: 48, timeout: 2147483 } },
    { op: 'del', set: 'f2b-x-n', element: { addr: '203.0.113.0', cidr: 24, timeout: 5 } },
    { op: 'del', set: 'f2b-xy', element: { addr: '198.51.100.7' } },
  ];
  for (const op of ops) {
    const req = elementRequest(op);
    assert.equal(req.type, ipsetMsgType(op.op === 'add' ? CMD.ADD : CMD.DEL));
    assert.deepEqual(req.payload, generic(op), `${op.op} ${op.set} ${op.element.addr}`);
  }
});

test('LIST replies spread over several messages fold into one set with its header and members', () => {
  const header = nestedAttr(ATTR.DATA, [be32Attr(DATA_ATTR.TIMEOUT, 0), be32Attr(DATA_ATTR.MAXELEM, 1048576), be32Attr(DATA_ATTR.REFERENCES, 2), be32Attr(DATA_ATTR.ELEMENTS, 2)]);
  const member = (addr: number[], cidr: number, timeout: number) => nestedAttr(ATTR.DATA, [
    nestedAttr(DATA_ATTR.IP, [bytesAttr(IPADDR_ATTR.IPV4, Uint8Array.from(addr))]), u8Attr(DATA_ATTR.CIDR, cidr), be32Attr(DATA_ATTR.TIMEOUT, timeout),
  ]);
  const msg = (attrs: Parameters<typeof encodeAttrs>[0]) => Buffer.concat([nfgenmsg(NFPROTO.IPV4), encodeAttrs(attrs)]);
  const common = [u8Attr(ATTR.PROTOCOL, 7), stringAttr(ATTR.SETNAME, 'f2b-web-n'), stringAttr(ATTR.TYPENAME, 'hash:net'), u8Attr(ATTR.REVISION, 7), u8Attr(ATTR.FAMILY, NFPROTO.IPV4)];
  const sets = parseListReplies([
    msg([...common, header, nestedAttr(ATTR.ADT, [member([203, 0, 113, 0], 24, 99)])]),
    msg([...common, nestedAttr(ATTR.ADT, [member([198, 51, 100, 0], 25, 0)])]),
  ]);
  assert.deepEqual(sets, [{
    name: 'f2b-web-n', type: 'hash:net', revision: 7, family: 'inet', timeout: 0, maxelem: 1048576, references: 2, elements: 2,
    members: [{ addr: '203.0.113.0', cidr: 24, timeout: 99 }, { addr: '198.51.100.0', cidr: 25, timeout: 0 }],
  }]);
});

test('fast address conversion agrees with ipaddr.js; IPv4 is decimal only (no octal, hex or short forms)', () => {
  for (let i = 0; i < 2000; i++) {
    const raw = randomBytes(16);
    if (i % 3 === 0) raw.fill(0, 2 + (i % 7), 9 + (i % 5));
    const text = ipaddr.fromByteArray([...raw]).toString();
    assert.equal(bytesText(raw), text);
    assert.deepEqual(addrToBytes(text), Uint8Array.from(raw));
    assert.equal(canonicalAddr(ipaddr.fromByteArray([...raw]).toNormalizedString()), text);
  }
  assert.equal(canonicalAddr('::ffff:192.0.2.1'), '192.0.2.1');
  assert.equal(canonicalAddr('2001:DB8:0:0:0:0:0:1'), '2001:db8::1');
  assert.equal(canonicalAddr('2001:db8::1:0:0:1'), '2001:db8::1:0:0:1');
  assert.equal(canonicalAddr('01.2.3.4'), '1.2.3.4', 'leading zeros are decimal (one IPv4 rule), never octal');
  for (const bad of ['192.0.2.300', '0x7f.0.0.1', '127.1', '2001:db8::1::2', 'example.com', '']) {
    assert.throws(() => canonicalAddr(bad), Error, bad);
  }
});
