/**
 * The actual kernel state of table `inet f2b-fw`, read over nfnetlink dumps
 * (native/nftables/dump.ts): chains, sets with their elements and remaining
 * times, rules with handles, comments and canonical bodies (rule-body.ts),
 * and whether the ownership marker is there.
 */
import type { DumpedElement, TableDump } from '../../../native/nftables/dump.js';
import type { NftChain } from '../../../native/nftables/chain.js';
import type { NftSet } from '../../../native/nftables/set.js';
import { COUNTER_OBJECT } from '../../../native/nftables/counter.js';
import { canonicalElements, canonicalExpressions } from '../../../native/nftables/rule-body.js';
import { bytesText } from '../../core/ip-text.js';
import { MARKER_NAME, TABLE, addrId } from './names.js';

/** What the kernel holds in our table. */
export interface ActualState {
  /** False when there is no table `inet f2b-fw` at all. */
  readonly exists: boolean;
  /** True when the ownership marker is in the table. */
  readonly marked: boolean;
  readonly chains: ReadonlyMap<string, NftChain>;
  readonly sets: ReadonlyMap<string, NftSet>;
  /** Every rule of the table, in listing order. */
  readonly rules: readonly ActualRule[];
  /**
   * Set name → element identity (names.ts addrId: key bytes of an address in
   * a hash set, `addr/len` text in an interval set) → milliseconds left
   * (null = no timeout).
   */
  readonly elements: ReadonlyMap<string, ReadonlyMap<string, number | null>>;
}

/** A rule as the kernel holds it: chain, handle, comment, canonical body (rule-body.ts). */
export interface ActualRule {
  readonly chain: string;
  readonly handle: number;
  readonly comment?: string;
  readonly body: string;
}

/** The state of a kernel without our table. */
export const ABSENT: ActualState = { exists: false, marked: false, chains: new Map(), sets: new Map(), rules: [], elements: new Map() };

/** A big-endian key as a number. */
function toBigInt(key: Buffer): bigint {
  return BigInt(`0x${key.toString('hex') || '0'}`);
}

/**
 * Turns the elements of an interval set back into prefixes: the kernel holds
 * each prefix as a start element and an end element (the first address after
 * it, flagged interval-end). Ranges that are not prefixes are shown as `a-b`.
 */
export function intervalTexts(elements: readonly DumpedElement[]): Map<string, number | null> {
  // Adjacent prefixes (the pieces of a prefix split around an ignored address) share a key: the end of one
  // and the start of the next. The end goes first, or the start would be read as a range up to the next.
  const sorted = [...elements].sort((a, b) => Buffer.compare(a.key, b.key) || Number(b.intervalEnd) - Number(a.intervalEnd));
  const out = new Map<string, number | null>();
  for (let i = 0; i < sorted.length; i++) {
    const start = sorted[i] as DumpedElement;
    if (start.intervalEnd) continue;
    const bits = start.key.length * 8;
    const next = sorted[i + 1];
    const end = next?.intervalEnd ? toBigInt(next.key) : 1n << BigInt(bits);
    const size = end - toBigInt(start.key);
    const hostBits = size.toString(2).length - 1;
    const text = size > 0n && 1n << BigInt(hostBits) === size
      ? `${bytesText(start.key)}/${bits - hostBits}`
      : `${bytesText(start.key)}-${next ? bytesText(next.key) : 'end'}`;
    out.set(text.endsWith(`/${bits}`) ? bytesText(start.key) : text, start.expiresMs ?? null);
  }
  return out;
}

/** Dumps that may be retried because the kernel walked a hash set while resizing it. */
const HASH_DUMP_ATTEMPTS = 5;
/** Pause before such a retry, in ms (a resize after 100,000 adds takes a moment). */
const HASH_DUMP_RETRY_MS = 100;

/**
 * Elements of a hash set by identity. The kernel's dump of a hash set walks it
 * again for every chunk, skipping what was sent; a concurrent resize (right
 * after a bulk add) reorders the walk, so a dump can repeat some elements and
 * miss others. A repeated key gives that away: the dump is read again.
 */
async function hashElements(dump: TableDump, set: string): Promise<Map<string, number | null>> {
  for (let attempt = 1; ; attempt++) {
    const els = await dump.elements(set);
    const out = new Map<string, number | null>();
    for (const e of els) out.set(addrId(e.key), e.expiresMs ?? null);
    if (out.size === els.length || attempt >= HASH_DUMP_ATTEMPTS) return out;
    await new Promise((r) => setTimeout(r, HASH_DUMP_RETRY_MS));
  }
}

/** Options for readActual. */
export interface ReadOptions {
  /** Read only the sets whose names pass (all others are left out of `sets`/`elements`). */
  readonly sets?: (name: string) => boolean;
  /** Skip chains, rules and the marker (for listing bans). */
  readonly elementsOnly?: boolean;
}

/** Reads our table back from the kernel (ABSENT when it does not exist). */
export async function readActual(dump: TableDump, options: ReadOptions = {}): Promise<ActualState> {
  if (!(await dump.exists())) return ABSENT;
  const chains = new Map<string, NftChain>();
  const rules: ActualRule[] = [];
  let marked = false;
  const dumpedSets = await dump.sets();
  if (!options.elementsOnly) {
    for (const c of await dump.chains()) {
      chains.set(c.name, { table: TABLE, name: c.name, ...(c.type === undefined ? {} : { type: c.type }), ...(c.hook === undefined ? {} : { hook: c.hook }), ...(c.prio === undefined ? {} : { prio: c.prio }), ...(c.policy === undefined ? {} : { policy: c.policy }) });
    }
    // Anonymous sets (a rule's port list) are part of their rule's body.
    const anon = new Map<string, string>();
    for (const s of dumpedSets) if (s.anonymous) anon.set(s.name, canonicalElements(await dump.elements(s.name)));
    for (const r of await dump.rules()) {
      const body = r.exprs ? canonicalExpressions(r.exprs, (name) => anon.get(name)) : '';
      rules.push({ chain: r.chain, handle: r.handle, ...(r.comment === undefined ? {} : { comment: r.comment }), body });
    }
    marked = (await dump.objects()).some((o) => o.type === COUNTER_OBJECT && o.name === MARKER_NAME);
  }
  const sets = new Map<string, NftSet>();
  const elements = new Map<string, Map<string, number | null>>();
  for (const s of dumpedSets) {
    if (options.sets && !options.sets(s.name)) continue;
    if (s.type === 'other' || s.anonymous) continue;
    sets.set(s.name, { table: TABLE, name: s.name, type: s.type, flags: s.flags });
    if (s.flags.includes('interval')) elements.set(s.name, intervalTexts(await dump.elements(s.name)));
    else elements.set(s.name, await hashElements(dump, s.name));
  }
  return { exists: true, marked, chains, sets, rules, elements };
}
