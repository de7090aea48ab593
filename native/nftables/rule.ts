/**
 * Rules as f2b-fw builds them — a typed description (matches + verdict)
 * and its NEWRULE message as nft would send it for the same rule text, plus
 * the anonymous port set (NEWSET + NEWSETELEM) a rule with several ports
 * needs before it. DELRULE by handle.
 *
 * Shapes: `meta l4proto [!=] P`; `th dport` / `ct original proto-dst` with
 * one port (cmp eq), one range (cmp gte + cmp lte) or several (lookup in an
 * anonymous set, an interval set when a range is among them); `ip[6] saddr
 * @SET` (after `meta nfproto`, which nft adds in an inet table); `drop`,
 * `reject with tcp reset`, `reject with icmpx port-unreachable`; the comment
 * as rule userdata.
 */
import { nestedAttr, type AttrOut } from '../netlink/attributes.js';
import { commentValue, nftMessage, NFT_MSG, str, u64, udata, type NftMessage } from './message.js';
import { CMP, CT_DIR_ORIGINAL, CT_PROTO_DST, META, NF_DROP, PAYLOAD_BASE, REJECT, cmp, ct, lookup, meta, payload, reject, verdict } from './expr.js';
import { newPortSet, type IpVersion } from './set.js';
import { elementMessages, INTERVAL_END, type ElementChange } from './element.js';
import type { NftTable } from './family.js';
import { NLM_F } from '../netlink/socket.js';

const NFTA_RULE_TABLE = 1;
const NFTA_RULE_CHAIN = 2;
const NFTA_RULE_HANDLE = 3;
const NFTA_RULE_EXPRESSIONS = 4;
const NFTA_RULE_USERDATA = 7;
const NFTNL_UDATA_RULE_COMMENT = 0;
const NFPROTO = { 4: 2, 6: 10 } as const;

/** Transport protocols and their IP protocol numbers. */
export const L4PROTO = { tcp: 6, udp: 17, sctp: 132, dccp: 33 } as const;
/** A transport protocol a rule matches. */
export type L4Proto = keyof typeof L4PROTO;

/** An inclusive port range. */
export interface PortSpan {
  readonly from: number;
  readonly to: number;
}

/** One match of a rule. */
export type RuleMatch =
  | { readonly kind: 'l4proto'; readonly proto: L4Proto; readonly negate?: boolean }
  | { readonly kind: 'dport'; readonly where: 'transport' | 'original'; readonly ports: readonly PortSpan[] }
  | { readonly kind: 'saddr'; readonly version: IpVersion; readonly set: string };

/** What a rule does with a matching packet. */
export type RuleVerdict = 'drop' | 'reject-tcp-reset' | 'reject-port-unreachable';

/** The body of a rule: matches in order, then the verdict. */
export interface RuleBody {
  readonly matches: readonly RuleMatch[];
  readonly verdict: RuleVerdict;
}

/** A rule in chain `chain` of `table`, with its comment. */
export interface NftRule extends RuleBody {
  readonly table: NftTable;
  readonly chain: string;
  readonly comment: string;
}

/** Ids of sets in the batch being built: named sets created in it, and fresh ids for anonymous ones. */
export interface SetIds {
  /** The id of named set `name` when it is created in this batch. */
  named(name: string): number | undefined;
  /** A new batch-local id. */
  next(): number;
}

/** Sorted, with overlapping and adjacent ranges merged (the same ports). */
export function mergePorts(ports: readonly PortSpan[]): PortSpan[] {
  const sorted = [...ports].sort((a, b) => a.from - b.from);
  const out: PortSpan[] = [];
  for (const p of sorted) {
    const last = out[out.length - 1];
    if (last && p.from <= last.to + 1) out[out.length - 1] = { from: last.from, to: Math.max(last.to, p.to) };
    else out.push({ from: p.from, to: p.to });
  }
  return out;
}

function port(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}

/** The elements of an anonymous port set: plain keys, or interval starts and ends (with nft's leading zero end). */
export function portElements(ports: readonly PortSpan[]): { interval: boolean; change: ElementChange } {
  const interval = ports.some((p) => p.from !== p.to);
  const keys: Buffer[] = [];
  const ends: number[] = [];
  if (!interval) {
    for (const p of ports) keys.push(port(p.from));
  } else {
    if ((ports[0]?.from ?? 0) > 0) {
      keys.push(port(0));
      ends.push(INTERVAL_END);
    }
    for (const p of ports) {
      keys.push(port(p.from));
      ends.push(0);
      if (p.to < 0xffff) {
        keys.push(port(p.to + 1));
        ends.push(INTERVAL_END);
      }
    }
  }
  return { interval, change: { op: 'add', set: '__set%d', keyLen: 2, keys: Buffer.concat(keys), ...(interval ? { ends: Uint8Array.from(ends) } : {}) } };
}

/** nft's userdata describing the key expression of a port set (`th dport` / `ct original proto-dst`). */
function portTypeof(where: 'transport' | 'original'): Buffer {
  const le = (v: number): Buffer => {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v);
    return b;
  };
  // NFTNL_UDATA_SET_TYPEOF_EXPR (expression kind: 7 payload, 12 ct) and _DATA (payload: header th, field dport; ct: key, dir).
  const data = where === 'transport' ? udata([[0, le(11)], [1, le(2)]]) : udata([[0, le(CT_PROTO_DST)], [1, le(CT_DIR_ORIGINAL)]]);
  return udata([[0, le(where === 'transport' ? 7 : 12)], [1, data]]);
}

/** The expressions of `body`; anonymous sets it needs are appended to `pre` (messages sent before the rule). */
function expressions(t: NftTable, body: RuleBody, ids: SetIds, pre: NftMessage[]): AttrOut[] {
  const out: AttrOut[] = [];
  for (const m of body.matches) {
    if (m.kind === 'l4proto') {
      out.push(meta(META.l4proto), cmp(m.negate ? CMP.neq : CMP.eq, Uint8Array.of(L4PROTO[m.proto])));
    } else if (m.kind === 'saddr') {
      out.push(meta(META.nfproto), cmp(CMP.eq, Uint8Array.of(NFPROTO[m.version])));
      out.push(m.version === 4 ? payload(PAYLOAD_BASE.network, 12, 4) : payload(PAYLOAD_BASE.network, 8, 16));
      out.push(lookup(m.set, ids.named(m.set)));
    } else {
      out.push(m.where === 'transport' ? payload(PAYLOAD_BASE.transport, 2, 2) : ct(CT_PROTO_DST, CT_DIR_ORIGINAL));
      const ports = mergePorts(m.ports);
      const only = ports[0];
      if (ports.length === 1 && only && only.from === only.to) out.push(cmp(CMP.eq, port(only.from)));
      else if (ports.length === 1 && only) out.push(cmp(CMP.gte, port(only.from)), cmp(CMP.lte, port(only.to)));
      else {
        const id = ids.next();
        const { interval, change } = portElements(ports);
        const count = change.keys.length / 2;
        pre.push(newPortSet(t, id, interval, count, portTypeof(m.where)), ...elementMessages(t, change, id));
        out.push(lookup('__set%d', id));
      }
    }
  }
  if (body.verdict === 'drop') out.push(verdict(NF_DROP));
  else if (body.verdict === 'reject-tcp-reset') out.push(reject(REJECT.tcpReset, 0));
  else out.push(reject(REJECT.icmpx, REJECT.icmpxPortUnreachable));
  return out;
}

/** `add rule` (appended to its chain), preceded by the anonymous sets it uses. */
export function newRule(r: NftRule, ids: SetIds): NftMessage[] {
  const pre: NftMessage[] = [];
  const exprs = expressions(r.table, r, ids, pre);
  return [...pre, nftMessage(NFT_MSG.NEWRULE, NLM_F.CREATE | NLM_F.APPEND, r.table.family, [
    str(NFTA_RULE_TABLE, r.table.name),
    str(NFTA_RULE_CHAIN, r.chain),
    nestedAttr(NFTA_RULE_EXPRESSIONS, exprs),
    { type: NFTA_RULE_USERDATA, payload: udata([[NFTNL_UDATA_RULE_COMMENT, commentValue(r.comment)]]) },
  ], `add rule ${r.table.family} ${r.table.name} ${r.chain} "${r.comment}"`)];
}

/** `delete rule … handle N`. */
export function delRule(t: NftTable, chain: string, handle: number, what = ''): NftMessage {
  return nftMessage(NFT_MSG.DELRULE, 0, t.family, [str(NFTA_RULE_TABLE, t.name), str(NFTA_RULE_CHAIN, chain), u64(NFTA_RULE_HANDLE, handle)],
    `delete rule ${t.family} ${t.name} ${chain} handle ${handle}${what}`);
}
