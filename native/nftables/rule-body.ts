/**
 * A rule's body (its expressions) in a canonical text, the same for the
 * rule we would send and the rule the kernel dumps back when they do the
 * same thing — so reconcile can tell a rule whose comment is ours but whose
 * body someone replaced. Each expression is its name and its attributes
 * sorted by type, values in hex, nests recursively. Normalised, because the
 * kernel does not echo them: a lookup's SET_ID (sent for sets of the same
 * batch; the kernel resolves it to the name) and zero FLAGS (dumped, never
 * sent); reject's ICMP_CODE for a TCP reset (sent as 0, not dumped). An
 * anonymous set is replaced by its elements (keys in hex, `/end` for
 * interval ends, sorted, without the leading zero end nft adds), as its
 * kernel name `__setN` differs from the `__set%d` we send.
 */
import { decodeAttrs, readString, type AttrsIn } from '../netlink/attributes.js';
import { NFT_MSG, type NftMessage } from './message.js';
import { newRule, type NftRule } from './rule.js';
import { INTERVAL_END } from './element.js';

const NFTA_LIST_ELEM = 1;
const NFTA_EXPR_NAME = 1;
const NFTA_EXPR_DATA = 2;
const NFTA_RULE_EXPRESSIONS = 4;
const LOOKUP = { SET: 1, SET_ID: 4, FLAGS: 5 } as const;
const REJECT_TYPE_TCP_RST = 1;
/** Attribute types whose payload is a nest, per expression (the rest are leaves). */
const NESTS: Readonly<Record<string, readonly number[]>> = { cmp: [3], immediate: [2], range: [3, 4] };

/** One element of a set, as canonical text is made from. */
export interface CanonElement {
  readonly key: Buffer;
  readonly intervalEnd: boolean;
}

/** Canonical text of an anonymous set's elements. */
export function canonicalElements(elements: readonly CanonElement[]): string {
  return elements
    .filter((e) => !(e.intervalEnd && e.key.every((b) => b === 0)))
    .map((e) => `${e.key.toString('hex')}${e.intervalEnd ? '/end' : ''}`)
    .sort()
    .join(',');
}

function nestText(payload: Buffer): string {
  const a = decodeAttrs(payload);
  return [...a.all].sort((x, y) => x.type - y.type).map((x) => `${x.type}{${nestText(x.payload)}}`).join('')
    || payload.toString('hex');
}

function leaves(a: AttrsIn): { type: number; payload: Buffer }[] {
  return [...a.all].sort((x, y) => x.type - y.type);
}

/**
 * The canonical body of NFTA_RULE_EXPRESSIONS' payload; `anon(ref)` gives
 * the canonical elements of anonymous set `ref` (its kernel name, or
 * `#ID` for a set of the same batch).
 */
export function canonicalExpressions(exprs: Buffer, anon: (ref: string) => string | undefined): string {
  const out: string[] = [];
  for (const item of decodeAttrs(exprs).all) {
    if (item.type !== NFTA_LIST_ELEM) continue;
    const e = decodeAttrs(item.payload);
    const name = readString(e.get(NFTA_EXPR_NAME)) ?? '?';
    const data = decodeAttrs(e.get(NFTA_EXPR_DATA) ?? Buffer.alloc(0));
    const parts: string[] = [];
    for (const { type, payload } of leaves(data)) {
      if (name === 'lookup' && type === LOOKUP.SET_ID) continue;
      if (name === 'lookup' && type === LOOKUP.FLAGS && payload.readUInt32BE(0) === 0) continue;
      if (name === 'reject' && type === 2 && data.get(1)?.readUInt32BE(0) === REJECT_TYPE_TCP_RST) continue;
      if (name === 'lookup' && type === LOOKUP.SET) {
        const set = readString(payload) ?? '';
        if (set.startsWith('__set')) {
          const id = data.get(LOOKUP.SET_ID);
          parts.push(`${type}=anon[${anon(set === '__set%d' && id ? `#${id.readUInt32BE(0)}` : set) ?? '?'}]`);
          continue;
        }
        parts.push(`${type}=${set}`);
        continue;
      }
      parts.push(NESTS[name]?.includes(type) ? `${type}{${nestText(payload)}}` : `${type}=${payload.toString('hex')}`);
    }
    out.push(`${name}(${parts.join(' ')})`);
  }
  return out.join(' ');
}

/** The elements of the NEWSETELEM messages among `messages` for set id `id`. */
function elementsOfId(messages: readonly NftMessage[], id: number): CanonElement[] {
  const out: CanonElement[] = [];
  for (const m of messages) {
    if (m.msg !== NFT_MSG.NEWSETELEM) continue;
    const a = decodeAttrs(m.attrs);
    if (a.get(4)?.readUInt32BE(0) !== id) continue;
    for (const el of decodeAttrs(a.get(3) ?? Buffer.alloc(0)).all) {
      const e = decodeAttrs(el.payload);
      const key = decodeAttrs(e.get(1) ?? Buffer.alloc(0)).get(1);
      if (key) out.push({ key: Buffer.from(key), intervalEnd: ((e.get(3)?.readUInt32BE(0) ?? 0) & INTERVAL_END) !== 0 });
    }
  }
  return out;
}

/** The canonical body of a rule we build (as canonicalExpressions gives it for the kernel's copy). */
export function ruleBody(r: NftRule): string {
  let id = 0;
  const messages = newRule(r, { named: () => undefined, next: () => ++id });
  const rule = messages[messages.length - 1]!;
  const exprs = decodeAttrs(rule.attrs).get(NFTA_RULE_EXPRESSIONS) ?? Buffer.alloc(0);
  return canonicalExpressions(exprs, (ref) => (ref.startsWith('#') ? canonicalElements(elementsOfId(messages, Number(ref.slice(1)))) : undefined));
}
