/**
 * The desired kernel state: what table `inet f2b-fw` must hold for a layout
 * and a list of bans. Pure: the same input always gives the same objects.
 */
import type { Ban } from '../../core/records.js';
import type { FirewallLayout, Hook, JailFirewall, Protocol } from '../layout.js';
import { baseChain, type NftChain } from '../../../native/nftables/chain.js';
import { addressSet, type NftSet } from '../../../native/nftables/set.js';
import { NFT_MAX_TIMEOUT_S } from '../../../native/nftables/element.js';
import type { NftRule, RuleBody, RuleMatch, RuleVerdict } from '../../../native/nftables/rule.js';
import { ruleBody } from '../../../native/nftables/rule-body.js';
import { JAIL_SETS, TABLE, elementId, ruleComment, setName } from './names.js';

/** A rule we want, with its canonical body (rule-body.ts) to compare with the kernel's copy. */
export interface WantedRule extends NftRule {
  readonly body: string;
}

/** A wanted element: seconds of timeout left, or null for permanent. */
export type WantedTimeout = number | null;

/** Everything table `inet f2b-fw` should hold. */
export interface DesiredState {
  readonly chains: ReadonlyMap<string, NftChain>;
  readonly sets: ReadonlyMap<string, NftSet>;
  /** Keyed by `chain\ncomment`. */
  readonly rules: ReadonlyMap<string, WantedRule>;
  /** Set name → element identity (names.ts addrId) → timeout in whole seconds. */
  readonly elements: ReadonlyMap<string, ReadonlyMap<string, WantedTimeout>>;
  /** Set name → the jail's maxelem. */
  readonly limits: ReadonlyMap<string, number>;
  /** Jail → bans left out because a set was at its maxelem (the longest-lasting are kept). */
  readonly overflow: ReadonlyMap<string, number>;
  /** Bans whose address is not one (a store written by something else): left out, never a failed reconcile. */
  readonly invalid: readonly Ban[];
}

/** elementId, or undefined for text that is no address or prefix. */
function validElementId(addr: string): ReturnType<typeof elementId> | undefined {
  try {
    return elementId(addr);
  } catch {
    return undefined;
  }
}

/** Keeps the `limit` longest-lasting elements of `wanted` (permanent first); returns how many went. */
function capElements(wanted: Map<string, WantedTimeout>, limit: number): number {
  if (wanted.size <= limit) return 0;
  const rank = (t: WantedTimeout): number => (t === null ? Number.POSITIVE_INFINITY : t);
  const sorted = [...wanted].sort((a, b) => rank(b[1]) - rank(a[1]));
  const dropped = sorted.length - limit;
  for (let i = limit; i < sorted.length; i++) wanted.delete(sorted[i]![0]);
  return dropped;
}

/** Key of a rule in DesiredState.rules and in the actual state. */
export function ruleKey(chain: string, comment: string): string {
  return `${chain}\n${comment}`;
}

/** The verdict for one protocol. */
function verdictFor(jail: JailFirewall, protocol: Protocol): RuleVerdict {
  if (jail.verdict === 'drop') return 'drop';
  return protocol === 'tcp' ? 'reject-tcp-reset' : 'reject-port-unreachable';
}

/**
 * The rule bodies of one jail on one hook for one set. Ports are matched per
 * protocol; in forward and prerouting on the pre-DNAT port (`ct original
 * proto-dst`), in input on the packet's port.
 */
function jailBodies(jail: JailFirewall, hook: Hook, set: string, version: 4 | 6): RuleBody[] {
  const saddr: RuleMatch = { kind: 'saddr', version, set };
  if (jail.ports === 'all') {
    if (jail.verdict === 'drop') return [{ matches: [saddr], verdict: 'drop' }];
    return [
      { matches: [{ kind: 'l4proto', proto: 'tcp' }, saddr], verdict: 'reject-tcp-reset' },
      { matches: [{ kind: 'l4proto', proto: 'tcp', negate: true }, saddr], verdict: 'reject-port-unreachable' },
    ];
  }
  const where = hook === 'input' ? 'transport' : 'original';
  const ports = jail.ports;
  return jail.protocols.map((p) => ({ matches: [{ kind: 'l4proto', proto: p }, { kind: 'dport', where, ports }, saddr], verdict: verdictFor(jail, p) }));
}

/**
 * Seconds left of a ban at `now` (rounded up); null = permanent; undefined =
 * already expired (or no date at all). A ban longer than the kernel's limit
 * (NFT_MAX_TIMEOUT_S, ~584 years) gets the limit: in effect permanent, and
 * never a value that fails a batch.
 */
export function timeoutLeft(ban: Ban, now: number): WantedTimeout | undefined {
  if (ban.expiresAt === null) return null;
  const left = Math.ceil((ban.expiresAt - now) / 1000);
  return left > 0 ? Math.min(left, NFT_MAX_TIMEOUT_S) : undefined;
}

/** Builds the desired state; bans of jails not in the layout and expired bans are skipped. */
export function desiredState(layout: FirewallLayout, bans: readonly Ban[], now: number): DesiredState {
  const chains = new Map<string, NftChain>();
  const sets = new Map<string, NftSet>();
  const rules = new Map<string, WantedRule>();
  const elements = new Map<string, Map<string, WantedTimeout>>();
  const limits = new Map<string, number>();
  const invalid: Ban[] = [];
  for (const hook of ['input', 'forward', 'prerouting'] as const) {
    if (layout.jails.some((j) => j.hooks.includes(hook))) chains.set(hook, baseChain(TABLE, hook, hook, layout.priority));
  }
  for (const jail of layout.jails) {
    for (const { version, kind } of JAIL_SETS) {
      const name = setName(jail.name, version, kind);
      sets.set(name, addressSet(TABLE, name, version, kind === 'net'));
      elements.set(name, new Map());
      limits.set(name, jail.maxelem);
      for (const hook of jail.hooks) {
        for (const body of jailBodies(jail, hook, name, version)) {
          const comment = ruleComment(jail.name, hook, body);
          const r: NftRule = { table: TABLE, chain: hook, comment, ...body };
          rules.set(ruleKey(hook, comment), { ...r, body: ruleBody(r) });
        }
      }
    }
  }
  for (const ban of bans) {
    const left = timeoutLeft(ban, now);
    if (left === undefined) continue;
    const target = validElementId(ban.addr);
    if (!target) {
      invalid.push(ban);
      continue;
    }
    const wanted = elements.get(setName(ban.jail, target.version, target.kind));
    if (!wanted) continue;
    const prev = wanted.get(target.id);
    // Two bans of one address in one jail: the longer one wins.
    if (prev === undefined || left === null || (prev !== null && left > prev)) wanted.set(target.id, left);
  }
  const overflow = new Map<string, number>();
  for (const jail of layout.jails) {
    for (const { version, kind } of JAIL_SETS) {
      const name = setName(jail.name, version, kind);
      const dropped = capElements(elements.get(name)!, jail.maxelem);
      if (dropped > 0) overflow.set(jail.name, (overflow.get(jail.name) ?? 0) + dropped);
    }
  }
  return { chains, sets, rules, elements, limits, overflow, invalid };
}
