/**
 * Golden payloads: every nf_tables message f2b-fw builds (table, counter,
 * chains, sets, each rule shape, elements of hash and interval sets, the
 * deletes, GETGEN and the dump requests) against what `nft` sent for the
 * same command, captured once into test/fixtures/netlink/nft/*.json by
 * test/support/capture-nft.ts (the command is written in each file). No
 * root needed: the fixtures are files and our side is only encoded.
 *
 * Normalised, each because the kernel does not look at the difference:
 * - sequence numbers and port ids (per socket);
 * - NLM_F_ACK: we ask for an ACK on every message of a batch so that a
 *   failure names its message and success is confirmed; nft does not;
 * - attributes inside a nest are compared sorted by type (nla_parse reads
 *   them into an array by type; lists of NFTA_LIST_ELEM keep their order,
 *   the sort is stable): nft puts an element's TIMEOUT and FLAGS before its
 *   KEY, the kernel does not care;
 * - set ids are compared by order of appearance (batch-local numbers), and
 *   the SET_ID nft adds when it names an existing named set (its cache id)
 *   is left out: the kernel looks a set up by name first and only falls back
 *   to the id for sets created in the same batch;
 * - the attribute type of each element in NFTA_SET_ELEM_LIST_ELEMENTS: nft
 *   numbers them 1, 2, 3…, we write NFTA_LIST_ELEM (1) for all; the kernel
 *   walks the nest with nla_for_each_nested and never reads that type;
 * - the dump of chains: nft asks for every family's chains, we for family
 *   inet only (the kernel filters by nfgen_family).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { NftBatch, NftConn } from '../native/nftables/batch.js';
import { newTable, delTable } from '../native/nftables/table.js';
import { newCounter } from '../native/nftables/counter.js';
import { baseChain, delChain, flushChain, newChain } from '../native/nftables/chain.js';
import { addressSet, delSet, flushSet } from '../native/nftables/set.js';
import { delRule, type NftRule, type RuleBody } from '../native/nftables/rule.js';
import { elementChange, intervalChange, prefixBounds } from '../native/nftables/element.js';
import { tableRequests, type GetRequest } from '../native/nftables/dump.js';
import { GETGEN_REQUEST } from '../native/netlink/ruleset-watch.js';
import type { NftTable } from '../native/nftables/family.js';
import { MARKER_COMMENT, MARKER_NAME } from '../src/fw/nft/names.js';
import { attrTree, ATTR_TYPE_BITS, type Attr } from './support/attr-tree.js';

interface Captured { readonly type: number; readonly flags: number; readonly hex: string }
interface Fixture { readonly command: string; readonly messages: readonly Captured[] }

const T: NftTable = { family: 'inet', name: 'f2b-fw' };
const COMMENT = 'f2b-fw sshd input 0123456789ab';
const NLM_F_ACK = 0x4;
const NLM_F_REQUEST = 0x1;
const BATCH_BEGIN = 0x10;
const BATCH_END = 0x11;
const NFT = 10 << 8;
/** Messages whose attribute `type` holds a set id (NEWSET: 10, NEWSETELEM/DELSETELEM: 4). */
const SET_ID_ATTR: Readonly<Record<number, number>> = { 9: 10, 12: 4, 14: 4 };

function fixture(name: string): Fixture {
  return JSON.parse(readFileSync(fileURLToPath(new URL(`../../test/fixtures/netlink/nft/${name}.json`, import.meta.url)), 'utf8')) as Fixture;
}

/** A message as compared: type, flags without ACK, nfgenmsg, attribute tree with set ids renumbered. */
function normal(msg: Buffer, ids: Map<string, string>, named: boolean): unknown {
  const type = msg.readUInt16LE(4);
  const attrs = attrTree(msg.subarray(20), ATTR_TYPE_BITS);
  const renumber = (a: Attr): Attr => {
    if (typeof a.value !== 'string') return a;
    if (!ids.has(a.value)) ids.set(a.value, `id#${ids.size + 1}`);
    return { type: a.type, value: ids.get(a.value)! };
  };
  const cmd = type & 0xff;
  const idAttr = (type >> 8) === 10 ? SET_ID_ATTR[cmd] : undefined;
  const fixed = attrs.flatMap((a): Attr[] => {
    if (idAttr === undefined || a.type !== idAttr) return [a];
    return named && cmd !== 9 ? [] : [renumber(a)];
  }).map((a) => (cmd === 6 && a.type === 4 ? { type: 4, value: lookups(a.value as Attr[], renumber) } : a))
    .map((a) => ((cmd === 12 || cmd === 14) && a.type === 3 ? { type: 3, value: (a.value as Attr[]).map((e) => ({ type: 1, value: e.value })) } : a));
  return { type, flags: msg.readUInt16LE(6) & ~NLM_F_ACK, nfgen: msg.subarray(16, 20).toString('hex'), attrs: fixed };
}

/** In a rule's expressions: a lookup's SET_ID renumbered for anonymous sets, dropped for named ones. */
function lookups(exprs: Attr[], renumber: (a: Attr) => Attr): Attr[] {
  return exprs.map((e) => {
    const kids = e.value as Attr[];
    const name = Buffer.from((kids.find((k) => k.type === 1)?.value as string) ?? '', 'hex').toString();
    if (!name.startsWith('lookup')) return e;
    return {
      type: e.type,
      value: kids.map((k) => {
        if (k.type !== 2) return k;
        const data = k.value as Attr[];
        const set = Buffer.from((data.find((d) => d.type === 1)?.value as string) ?? '', 'hex').toString();
        return { type: 2, value: data.flatMap((d) => (d.type !== 4 ? [d] : set.startsWith('__set%d') ? [renumber(d)] : [])) };
      }),
    };
  });
}

/** The messages of a captured batch (between BATCH_BEGIN and BATCH_END). */
function batchOf(f: Fixture): Buffer[] {
  const msgs = f.messages.map((m) => Buffer.from(m.hex, 'hex'));
  const begin = msgs.findIndex((m) => m.readUInt16LE(4) === BATCH_BEGIN);
  const end = msgs.findIndex((m) => m.readUInt16LE(4) === BATCH_END);
  assert.ok(begin >= 0 && end > begin, 'the fixture holds a batch');
  return msgs.slice(begin + 1, end);
}

/** Our messages of `batch`, split. */
function ours(batch: NftBatch): Buffer[] {
  const buf = new NftConn().encode(batch);
  const out: Buffer[] = [];
  for (let at = 0; at + 16 <= buf.length;) {
    const len = buf.readUInt32LE(at);
    out.push(buf.subarray(at, at + len));
    at += (len + 3) & ~3;
  }
  assert.equal(out[0]!.readUInt16LE(4), BATCH_BEGIN);
  assert.equal(out[out.length - 1]!.readUInt16LE(4), BATCH_END);
  return out.slice(1, -1);
}

function same(name: string, build: (b: NftBatch) => unknown): void {
  const f = fixture(name);
  const batch = new NftBatch();
  build(batch);
  assert.equal(batch.error, undefined);
  const theirs = batchOf(f);
  const mine = ours(batch);
  assert.equal(mine.length, theirs.length, `${name}: as many messages as nft sends for ${f.command}`);
  const named = !name.startsWith('add-set') && !name.startsWith('rule-');
  const idsA = new Map<string, string>();
  const idsB = new Map<string, string>();
  for (let i = 0; i < mine.length; i++) assert.deepEqual(normal(mine[i]!, idsA, named), normal(theirs[i]!, idsB, named), `${name}, message ${i}: ${f.command}`);
}

function rule(body: RuleBody): NftRule {
  return { table: T, chain: 'input', comment: COMMENT, ...body };
}

const v4 = (s: string): Buffer => Buffer.from(s.split('.').map(Number));

test('table, marker counter, base chains and sets are what nft sends', () => {
  same('add-table', (b) => b.add(() => newTable(T)));
  same('add-counter', (b) => b.add(() => newCounter({ table: T, name: MARKER_NAME, comment: MARKER_COMMENT })));
  same('add-chain-input', (b) => b.add(() => newChain(baseChain(T, 'input', 'input', -10))));
  same('add-chain-prerouting', (b) => b.add(() => newChain(baseChain(T, 'prerouting', 'prerouting', -300))));
  same('add-set-v4', (b) => b.addSet(addressSet(T, 'sshd-v4', 4, false)));
  same('add-set-v6-net', (b) => b.addSet(addressSet(T, 'sshd-v6-net', 6, true)));
});

test('every rule shape we build is what nft sends for the same rule text', () => {
  const saddr4 = { kind: 'saddr', version: 4, set: 'sshd-v4' } as const;
  same('rule-port-drop', (b) => b.addRule(rule({ matches: [{ kind: 'l4proto', proto: 'tcp' }, { kind: 'dport', where: 'transport', ports: [{ from: 22, to: 22 }] }, saddr4], verdict: 'drop' })));
  same('rule-ports-reset-v6', (b) => b.addRule(rule({
    matches: [{ kind: 'l4proto', proto: 'tcp' }, { kind: 'dport', where: 'transport', ports: [{ from: 80, to: 80 }, { from: 22, to: 22 }] }, { kind: 'saddr', version: 6, set: 'sshd-v6' }],
    verdict: 'reject-tcp-reset',
  })));
  same('rule-range-icmpx', (b) => b.addRule(rule({ matches: [{ kind: 'l4proto', proto: 'udp' }, { kind: 'dport', where: 'transport', ports: [{ from: 1000, to: 2000 }] }, saddr4], verdict: 'reject-port-unreachable' })));
  same('rule-ct-set-drop', (b) => b.addRule(rule({
    matches: [{ kind: 'l4proto', proto: 'tcp' }, { kind: 'dport', where: 'original', ports: [{ from: 22, to: 22 }, { from: 1000, to: 2000 }] }, { kind: 'saddr', version: 4, set: 'sshd-v4-net' }],
    verdict: 'drop',
  })));
  same('rule-all-drop', (b) => b.addRule(rule({ matches: [{ kind: 'saddr', version: 6, set: 'sshd-v6-net' }], verdict: 'drop' })));
  same('rule-all-reset', (b) => b.addRule(rule({ matches: [{ kind: 'l4proto', proto: 'tcp' }, saddr4], verdict: 'reject-tcp-reset' })));
  same('rule-all-not-tcp', (b) => b.addRule(rule({ matches: [{ kind: 'l4proto', proto: 'tcp', negate: true }, saddr4], verdict: 'reject-port-unreachable' })));
});

test('elements of hash and interval sets, added and deleted, are what nft sends', () => {
  same('add-element-v4', (b) => b.addElements(T, elementChange('add', 'sshd-v4', [{ key: v4('203.0.113.9'), timeoutMs: 60_000 }])));
  const v6 = Buffer.from('20010db8000000000000000000000009', 'hex');
  same('add-element-v6-permanent', (b) => b.addElements(T, elementChange('add', 'sshd-v6', [{ key: v6, timeoutMs: null }])));
  same('add-element-v4-net', (b) => b.addElements(T, intervalChange('add', 'sshd-v4-net', 4, [{ ...prefixBounds(v4('198.51.100.0'), 24), timeoutMs: 60_000 }])));
  const net6 = Buffer.from('20010db8000100000000000000000000', 'hex');
  same('add-element-v6-net', (b) => b.addElements(T, intervalChange('add', 'sshd-v6-net', 16, [{ ...prefixBounds(net6, 48), timeoutMs: 60_000 }])));
  same('delete-element-v4', (b) => b.addElements(T, elementChange('delete', 'sshd-v4', [{ key: v4('203.0.113.9'), timeoutMs: null }])));
  same('delete-element-v4-net', (b) => b.addElements(T, intervalChange('delete', 'sshd-v4-net', 4, [{ ...prefixBounds(v4('198.51.100.0'), 24), timeoutMs: null }])));
});

test('deletes and flushes are what nft sends', () => {
  same('flush-set', (b) => b.add(() => flushSet(T, 'sshd-v4')));
  same('delete-set', (b) => b.add(() => delSet(T, 'sshd-v4')));
  same('delete-rule', (b) => b.add(() => delRule(T, 'input', 6)));
  const input = baseChain(T, 'input', 'input', -10);
  same('flush-chain', (b) => b.add(() => flushChain(input)));
  same('delete-chain', (b) => b.add(() => delChain(input)));
  same('delete-table', (b) => b.add(() => delTable(T)));
});

test('the generation id rides in BATCH_BEGIN as NFNL_BATCH_GENID (be32)', () => {
  const buf = new NftConn().encode(new NftBatch().add(() => newTable(T)), 0x01020304);
  assert.equal(buf.readUInt32LE(0), 28, 'BATCH_BEGIN with one 8-byte attribute');
  assert.equal(buf.subarray(16, 28).toString('hex'), '0000000a' + '08000100' + '01020304', 'nfgenmsg (res_id NFNL_SUBSYS_NFTABLES), NFNL_BATCH_GENID');
});

/** A request as compared with nft's: type, flags, payload. */
function request(r: GetRequest): unknown {
  return { type: NFT | r.msg, flags: NLM_F_REQUEST | (r.dump ? 0x300 : NLM_F_ACK), payload: attrTree(r.payload.subarray(4), ATTR_TYPE_BITS), nfgen: r.payload.subarray(0, 4).toString('hex') };
}

function captured(m: Buffer): unknown {
  return { type: m.readUInt16LE(4), flags: m.readUInt16LE(6), payload: attrTree(m.subarray(20), ATTR_TYPE_BITS), nfgen: m.subarray(16, 20).toString('hex') };
}

test('GETGEN and the dump requests are what nft sends for `list table` / `list set`', () => {
  const table = fixture('list-table').messages.map((m) => Buffer.from(m.hex, 'hex'));
  const find = (f: Buffer[], msg: number): Buffer => f.find((m) => m.readUInt16LE(4) === (NFT | msg))!;
  const gen = find(table, 16);
  assert.deepEqual({ type: GETGEN_REQUEST.type, flags: NLM_F_REQUEST | GETGEN_REQUEST.flags, payload: GETGEN_REQUEST.payload.toString('hex') },
    { type: gen.readUInt16LE(4), flags: gen.readUInt16LE(6), payload: gen.subarray(16).toString('hex') });
  const reqs = tableRequests('inet', 'f2b-fw');
  assert.deepEqual(request(reqs.table), captured(find(table, 1)));
  assert.deepEqual(request(reqs.sets), captured(find(table, 10)));
  assert.deepEqual(request(reqs.objects), captured(find(table, 19)));
  assert.deepEqual(request(reqs.rules), captured(find(table, 7)));
  assert.deepEqual(request(reqs.elements('sshd-v4')), captured(find(table, 13)));
  const chains = captured(find(table, 4)) as { nfgen: string };
  assert.deepEqual(request(reqs.chains), { ...chains, nfgen: '01000000' }, 'chains: family inet instead of every family');
});
