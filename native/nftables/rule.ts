/** Builders for rules: the match expressions and verdicts f2b-fw uses. */
import type { NftCommand, NftExpr, NftRule, NftTable } from './json.js';
import type { IpVersion } from './set.js';

/** An inclusive port range. */
export interface PortSpan {
  readonly from: number;
  readonly to: number;
}

function portValue(p: PortSpan): number | { range: [number, number] } {
  return p.from === p.to ? p.from : { range: [p.from, p.to] };
}

function anyOf<T>(values: readonly T[]): T | { set: readonly T[] } {
  return values.length === 1 ? (values[0] as T) : { set: values };
}

/** `meta l4proto PROTO` or `meta l4proto { P1, P2 }`. */
export function matchL4proto(protocols: readonly string[]): NftExpr {
  return { match: { op: '==', left: { meta: { key: 'l4proto' } }, right: anyOf(protocols) } };
}

/**
 * Destination port match. `transport` = `th dport` (the port as the packet
 * carries it now); `original` = `ct original proto-dst` (the port before DNAT,
 * what a forwarded connection was addressed to). Needs an l4proto match first.
 */
export function matchDport(where: 'transport' | 'original', ports: readonly PortSpan[]): NftExpr {
  const left = where === 'transport'
    ? { payload: { protocol: 'th', field: 'dport' } }
    : { ct: { key: 'proto-dst', dir: 'original' } };
  return { match: { op: '==', left, right: anyOf(ports.map(portValue)) } };
}

/** `ip saddr @SET` / `ip6 saddr @SET`. */
export function matchSaddrInSet(version: IpVersion, setName: string): NftExpr {
  return { match: { op: '==', left: { payload: { protocol: version === 4 ? 'ip' : 'ip6', field: 'saddr' } }, right: `@${setName}` } };
}

/** `drop`. */
export const DROP: NftExpr = { drop: null };
/** `reject with tcp reset` (needs `meta l4proto tcp`). */
export const REJECT_TCP_RESET: NftExpr = { reject: { type: 'tcp reset' } };
/** `reject with icmpx port-unreachable` (icmp or icmpv6 as the family needs). */
export const REJECT_PORT_UNREACHABLE: NftExpr = { reject: { type: 'icmpx', expr: 'port-unreachable' } };

/** A rule in chain `chain` of table `t`. */
export function rule(t: NftTable, chain: string, expr: readonly NftExpr[], comment: string): NftRule {
  return { family: t.family, table: t.name, chain, comment, expr };
}

/** `add rule` (appends). */
export function addRule(r: NftRule): NftCommand {
  return { add: { rule: r } };
}

/** `delete rule` by handle. */
export function deleteRule(r: NftRule & { readonly handle: number }): NftCommand {
  return { delete: { rule: { family: r.family, table: r.table, chain: r.chain, handle: r.handle } } };
}
