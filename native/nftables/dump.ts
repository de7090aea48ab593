/**
 * Reads one nftables table straight from the kernel over nfnetlink dumps
 * (chains, sets, named objects, rules, set elements): these dumps cost what
 * the kernel costs (libnftables 1.0.6 would load every element of every set
 * for any listing that shows rules, seconds with 100,000 bans). Rules are read with their handle, comment and
 * expressions (rule-body.ts makes them comparable with the rules we build).
 * The requests are the ones nft sends for `list table` (dumpRequest).
 */
import { currentGeneration } from '../netlink/ruleset-watch.js';
import { NetlinkSocket, NETLINK_NETFILTER, NLM_F, type NetlinkMessage } from '../netlink/socket.js';
import { decodeAttrs, nfgenmsg, readBe32, readString, stringAttr, encodeAttrs, NFGENMSG_LEN, type AttrsIn } from '../netlink/attributes.js';
import { KernelError } from '../../src/core/errors.js';
import { NFT_FAMILY, type NftFamily } from './family.js';
import { NFNL_SUBSYS_NFTABLES, NFT_MSG as MSG } from './message.js';
import { HOOKS } from './chain.js';
import { KEY_TYPES, SET_FLAG } from './set.js';
const NFT_SET_ELEM_INTERVAL_END = 0x1;
/** NFTA_SET_ELEM_* attribute numbers read back. */
const ELEM = { KEY: 1, FLAGS: 3, TIMEOUT: 4, EXPIRATION: 5 } as const;
const NFTNL_UDATA_RULE_COMMENT = 0;
const ENOENT = 2;
/**
 * Receive buffer: the kernel makes dump chunks as big as the reader's buffer
 * (at most 32 KiB), and a set-element dump walks the set from the start for
 * every chunk, so small chunks make big dumps quadratic.
 */
const DUMP_CHUNK = 32 * 1024;

/** A base or regular chain as the kernel holds it. */
export interface DumpedChain { readonly name: string; readonly handle: number; readonly type?: string; readonly hook?: string; readonly prio?: number; readonly policy?: 'accept' | 'drop' }
/** A set: key type and length decide ipv4_addr / ipv6_addr; `anonymous` for a rule's own set. */
export interface DumpedSet { readonly name: string; readonly handle: number; readonly type: 'ipv4_addr' | 'ipv6_addr' | 'other'; readonly flags: readonly ('interval' | 'timeout')[]; readonly anonymous: boolean }
/** A rule: where it is, its comment and its NFTA_RULE_EXPRESSIONS payload. */
export interface DumpedRule { readonly chain: string; readonly handle: number; readonly comment?: string; readonly exprs?: Buffer }
/** A named object (counter, quota…). */
export interface DumpedObject { readonly name: string; readonly type: number }
/** A set element: key bytes, flags, remaining time in ms (undefined = no timeout). */
export interface DumpedElement { readonly key: Buffer; readonly intervalEnd: boolean; readonly expiresMs?: number }

function u64(payload: Buffer | undefined): number | undefined {
  return payload && payload.length >= 8 ? Number(payload.readBigUInt64BE(0)) : undefined;
}

function nested(attrs: AttrsIn, type: number): AttrsIn {
  return decodeAttrs(attrs.get(type) ?? Buffer.alloc(0));
}

/** The comment in a rule's userdata (nftnl TLVs: u8 type, u8 length, value). */
function ruleComment(udata: Buffer | undefined): string | undefined {
  if (!udata) return undefined;
  for (let off = 0; off + 2 <= udata.length;) {
    const type = udata[off] as number;
    const len = udata[off + 1] as number;
    if (type === NFTNL_UDATA_RULE_COMMENT) return readString(udata.subarray(off + 2, off + 2 + len));
    off += 2 + len;
  }
  return undefined;
}

/** Calls `fn(buf, start, end)` for each attribute of type `type` (flags ignored) in `buf`. */
function eachAttr(buf: Buffer, type: number, fn: (buf: Buffer, start: number, end: number) => void, from = 0, to = buf.length): void {
  for (let off = from; off + 4 <= to;) {
    const len = buf.readUInt16LE(off);
    if (len < 4 || off + len > to) return;
    if ((buf.readUInt16LE(off + 2) & 0x3fff) === type) fn(buf, off + 4, off + len);
    off += (len + 3) & ~3;
  }
}

/** A copy of the NFTA_DATA_VALUE payload among the attributes in `buf[from, to)`. */
function dataValue(buf: Buffer, from: number, to: number): Buffer | undefined {
  let value: Buffer | undefined;
  eachAttr(buf, 1, (b, s, e) => {
    value = Buffer.from(b.subarray(s, e));
  }, from, to);
  return value;
}

/** Decodes one NFTA_LIST_ELEM payload (`buf[start, end)`) into `out`; elements without a key are skipped. */
function decodeElement(buf: Buffer, start: number, end: number, out: DumpedElement[]): void {
  let key: Buffer | undefined;
  let flags = 0;
  let hasTimeout = false;
  let expiresMs: number | undefined;
  for (let off = start; off + 4 <= end;) {
    const len = buf.readUInt16LE(off);
    if (len < 4 || off + len > end) break;
    const type = buf.readUInt16LE(off + 2) & 0x3fff;
    const p = off + 4;
    if (type === ELEM.KEY) key = dataValue(buf, p, off + len);
    else if (type === ELEM.FLAGS && len >= 8) flags = buf.readUInt32BE(p);
    else if (type === ELEM.TIMEOUT) hasTimeout = true;
    else if (type === ELEM.EXPIRATION && len >= 12) expiresMs = Number(buf.readBigUInt64BE(p));
    off += (len + 3) & ~3;
  }
  if (!key) return;
  const ms = hasTimeout ? expiresMs ?? 0 : undefined;
  out.push({ key, intervalEnd: (flags & NFT_SET_ELEM_INTERVAL_END) !== 0, ...(ms === undefined ? {} : { expiresMs: ms }) });
}

/** One GET request: message, dump (NLM_F_DUMP) or a single object with an ACK, payload (nfgenmsg + attributes). */
export interface GetRequest {
  readonly msg: number;
  readonly dump: boolean;
  readonly payload: Buffer;
}

/**
 * The GET requests TableDump sends, as nft sends them for `list table` and
 * `list set`: the table with an ACK, dumps of chains (filtered by family
 * only: the kernel takes no table filter for them), sets, objects and rules
 * of the table, and the elements of one set.
 */
export function tableRequests(family: NftFamily, table: string): {
  readonly table: GetRequest; readonly chains: GetRequest; readonly sets: GetRequest; readonly objects: GetRequest; readonly rules: GetRequest;
  elements(set: string): GetRequest;
} {
  const fam = NFT_FAMILY[family];
  const byTable = encodeAttrs([stringAttr(1, table)]);
  const req = (msg: number, dump: boolean, attrs: Buffer): GetRequest => ({ msg, dump, payload: Buffer.concat([nfgenmsg(fam), attrs]) });
  return {
    table: req(MSG.GETTABLE, false, byTable),
    chains: req(MSG.GETCHAIN, true, Buffer.alloc(0)),
    sets: req(MSG.GETSET, true, byTable),
    objects: req(MSG.GETOBJ, true, byTable),
    rules: req(MSG.GETRULE, true, byTable),
    elements: (set) => req(MSG.GETSETELEM, true, encodeAttrs([stringAttr(2, set), stringAttr(1, table)])),
  };
}

/** Reads a table over nfnetlink. One socket, opened in the caller's network namespace. */
export class TableDump {
  private readonly sock: NetlinkSocket;
  private readonly table: string;
  private readonly requests: ReturnType<typeof tableRequests>;

  private constructor(sock: NetlinkSocket, family: NftFamily, table: string) {
    this.sock = sock;
    this.table = table;
    this.requests = tableRequests(family, table);
  }

  /** Opens the netlink socket for table `family table`. */
  static open(family: NftFamily, table: string): TableDump {
    return new TableDump(NetlinkSocket.open(NETLINK_NETFILTER, { recvBufferSize: 16 * 1024 * 1024, timeoutMs: 60_000, msgBufferSize: DUMP_CHUNK }), family, table);
  }

  /** The ruleset generation now (NFT_MSG_GETGEN); every committed batch moves it on by one. */
  generation(): Promise<number | undefined> {
    return currentGeneration(this.sock);
  }

  /** Runs one dump (or GET) and returns the attributes of each answer; retries a dump a concurrent change interrupted. */
  private async query({ msg, dump, payload }: GetRequest): Promise<AttrsIn[] | undefined> {
    for (let attempt = 0; ; attempt++) {
      const [reply] = await this.sock.exchange([{ type: (NFNL_SUBSYS_NFTABLES << 8) | msg, flags: dump ? NLM_F.DUMP : NLM_F.ACK, payload }]);
      if (!reply) throw new KernelError('no netlink answer', `nftables message ${msg}`);
      if (reply.errno === ENOENT) return undefined;
      if (reply.errno !== 0) throw new KernelError(`reading table ${this.table} failed: errno ${reply.errno}`, `nftables netlink message ${msg}`);
      if (reply.interrupted && attempt < 5) continue;
      return reply.messages.map((m: NetlinkMessage) => decodeAttrs(m.payload.subarray(NFGENMSG_LEN)));
    }
  }

  private mine(attrs: AttrsIn, tableAttr: number): boolean {
    return readString(attrs.get(tableAttr)) === this.table;
  }

  /** True when the table exists. */
  async exists(): Promise<boolean> {
    return (await this.query(this.requests.table)) !== undefined;
  }

  /** Chains of the table. */
  async chains(): Promise<DumpedChain[]> {
    const out: DumpedChain[] = [];
    // The kernel takes no table filter for chains: those of our family, ours picked out.
    for (const a of await this.query(this.requests.chains) ?? []) {
      if (!this.mine(a, 1)) continue;
      const hook = nested(a, 4);
      const hooknum = readBe32(hook.get(1));
      const prio = readBe32(hook.get(2));
      const policy = readBe32(a.get(5));
      out.push({
        name: readString(a.get(3)) ?? '', handle: u64(a.get(2)) ?? 0, type: readString(a.get(7)),
        ...(hooknum === undefined ? {} : { hook: HOOKS[hooknum] ?? String(hooknum) }),
        ...(prio === undefined ? {} : { prio: prio | 0 }),
        ...(policy === undefined ? {} : { policy: policy === 1 ? 'accept' : 'drop' }),
      });
    }
    return out;
  }

  /** Sets of the table. */
  async sets(): Promise<DumpedSet[]> {
    const out: DumpedSet[] = [];
    for (const a of await this.query(this.requests.sets) ?? []) {
      if (!this.mine(a, 1)) continue;
      const flags = readBe32(a.get(3)) ?? 0;
      const keyType = readBe32(a.get(4));
      const keyLen = readBe32(a.get(5));
      out.push({
        name: readString(a.get(2)) ?? '', handle: u64(a.get(16)) ?? 0,
        type: keyLen === KEY_TYPES.ipv4_addr.len && keyType === KEY_TYPES.ipv4_addr.type ? 'ipv4_addr' : keyLen === KEY_TYPES.ipv6_addr.len && keyType === KEY_TYPES.ipv6_addr.type ? 'ipv6_addr' : 'other',
        flags: [...(flags & SET_FLAG.interval ? ['interval' as const] : []), ...(flags & SET_FLAG.timeout ? ['timeout' as const] : [])],
        anonymous: (flags & SET_FLAG.anonymous) !== 0,
      });
    }
    return out;
  }

  /** Named objects of the table. */
  async objects(): Promise<DumpedObject[]> {
    const out: DumpedObject[] = [];
    for (const a of await this.query(this.requests.objects) ?? []) {
      if (this.mine(a, 1)) out.push({ name: readString(a.get(2)) ?? '', type: readBe32(a.get(3)) ?? 0 });
    }
    return out;
  }

  /** Rules of the table: chain, handle, comment. */
  async rules(): Promise<DumpedRule[]> {
    const out: DumpedRule[] = [];
    for (const a of await this.query(this.requests.rules) ?? []) {
      if (!this.mine(a, 1)) continue;
      const comment = ruleComment(a.get(7));
      const exprs = a.get(4);
      out.push({
        chain: readString(a.get(2)) ?? '', handle: u64(a.get(3)) ?? 0,
        ...(comment === undefined ? {} : { comment }), ...(exprs ? { exprs: Buffer.from(exprs) } : {}),
      });
    }
    return out;
  }

  /** Elements of one set (decoded by hand: 100,000 of them must not cost a Map each). */
  async elements(set: string): Promise<DumpedElement[]> {
    const out: DumpedElement[] = [];
    for (const a of await this.query(this.requests.elements(set)) ?? []) {
      const list = a.get(3);
      if (list) eachAttr(list, 1, (buf, at, end) => decodeElement(buf, at, end, out));
    }
    return out;
  }

  /** Closes the socket. */
  close(): void {
    this.sock.close();
  }
}

