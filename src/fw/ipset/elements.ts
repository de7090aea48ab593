/**
 * Bans ⟷ ipset elements: which set of a jail an address or prefix goes to,
 * its timeout, the way back from a listed element to a Ban, and the diff
 * between wanted and present elements. Pure functions.
 */
import { KernelError } from '../../core/errors.js';
import type { Ban } from '../../core/records.js';
import type { PlanChange } from '../plan.js';
import type { IpsetElement, IpsetOp } from '../../../native/ipset/messages.js';
import { IPSET_MAX_TIMEOUT } from '../../../native/ipset/protocol.js';
import { canonicalText } from '../../core/address.js';
import { jailNames, type JailNames, type JailSet } from './naming.js';

/** Where an address lives: the set and the element (without timeout). */
export interface Placement {
  readonly set: JailSet;
  readonly element: IpsetElement;
}

/**
 * Picks the set for `addr` in `jail`: a single address (or a full-length
 * prefix) goes to the `hash:ip` set of its family, a shorter prefix to the
 * `hash:net` set. IPv4-mapped IPv6 addresses count as IPv4. Throws for text
 * that is neither an address nor a prefix.
 */
export function placement(jail: string, addr: string, names: JailNames = jailNames(jail)): Placement {
  const canon = canonicalText(addr);
  if (canon === null) throw new KernelError(`not an IP address or prefix: ${JSON.stringify(addr)}`, `ban ${jail} ${addr}`);
  const slash = canon.indexOf('/');
  const v6 = canon.includes(':');
  if (slash < 0) return { set: v6 ? names.ip6 : names.ip4, element: { addr: canon } };
  return { set: v6 ? names.net6 : names.net4, element: { addr: canon.slice(0, slash), cidr: Number(canon.slice(slash + 1)) } };
}

/** Canonical text of an element: `addr` or `addr/cidr`. */
export function elementKey(e: IpsetElement): string {
  return e.cidr === undefined ? e.addr : `${e.addr}/${e.cidr}`;
}

/** Seconds to ask the kernel for: 0 = permanent, undefined = already expired. Capped at ipset's maximum. */
export function timeoutFor(expiresAt: number | null, now: number): number | undefined {
  if (expiresAt === null) return 0;
  const left = Math.ceil((expiresAt - now) / 1000);
  if (!(left > 0)) return undefined;
  return Math.min(left, IPSET_MAX_TIMEOUT);
}

/** The add operations for bans (expired ones and text that is no address skipped: one bad ban never fails the others). */
export function banOps(bans: readonly Ban[], now: number): IpsetOp[] {
  const ops: IpsetOp[] = [];
  const names = new Map<string, JailNames>();
  for (const b of bans) {
    const timeout = timeoutFor(b.expiresAt, now);
    if (timeout === undefined) continue;
    let n = names.get(b.jail);
    if (!n) names.set(b.jail, (n = jailNames(b.jail)));
    let p: ReturnType<typeof placement>;
    try {
      p = placement(b.jail, b.addr, n);
    } catch {
      continue;
    }
    ops.push({ op: 'add', set: p.set.name, element: { ...p.element, timeout } });
  }
  return ops;
}

/** A listed element as a Ban. */
export function elementBan(jail: string, e: IpsetElement, now: number): Ban {
  return { jail, addr: elementKey(e), expiresAt: e.timeout === undefined || e.timeout === 0 ? null : now + e.timeout * 1000 };
}

/** Kernel and wanted timeouts closer than this (s) count as equal (time passes between the two reads). */
const TIMEOUT_SLACK = 5;

/**
 * Diffs one set: wanted elements (with timeouts) against present ones.
 * Returns the ops to run and the plan changes describing them.
 */
export function diffSet(set: string, wanted: readonly IpsetElement[], present: readonly IpsetElement[]): { ops: IpsetOp[]; changes: PlanChange[] } {
  const have = new Map(present.map((e) => [elementKey(e), e]));
  // Removals first, so a set at its maxelem has room for the additions.
  const ops: IpsetOp[] = [];
  const adds: IpsetOp[] = [];
  const changes: PlanChange[] = [];
  const keep = new Set<string>();
  for (const w of wanted) {
    const key = elementKey(w);
    keep.add(key);
    const h = have.get(key);
    const object = `${set} ${key}`;
    if (!h) {
      adds.push({ op: 'add', set, element: w });
      changes.push({ action: 'add', kind: 'element', object, reason: 'missing' });
    } else if ((h.timeout ?? 0) === 0 ? (w.timeout ?? 0) !== 0 : (w.timeout ?? 0) === 0 || Math.abs((h.timeout ?? 0) - (w.timeout ?? 0)) > TIMEOUT_SLACK) {
      adds.push({ op: 'add', set, element: w });
      changes.push({ action: 'refresh', kind: 'element', object, reason: 'timeout differs from the store' });
    }
  }
  for (const [key, e] of have) {
    if (keep.has(key)) continue;
    ops.push({ op: 'del', set, element: { addr: e.addr, ...(e.cidr !== undefined ? { cidr: e.cidr } : {}) } });
    changes.push({ action: 'remove', kind: 'element', object: `${set} ${key}`, reason: 'not in the store' });
  }
  ops.push(...adds);
  return { ops, changes };
}
