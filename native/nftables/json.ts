/**
 * Types of the libnftables JSON schema (libnftables-json(5)) that f2b-fw
 * writes and reads back. Only the parts f2b-fw uses are spelled out.
 */

/** nftables address families. */
export type NftFamily = 'inet' | 'ip' | 'ip6' | 'arp' | 'bridge' | 'netdev';

/** The NFPROTO_* number of each family, as nfnetlink messages carry it. */
export const NFT_FAMILY: Readonly<Record<NftFamily, number>> = { inet: 1, ip: 2, arp: 3, netdev: 5, bridge: 7, ip6: 10 };

/** A table. */
export interface NftTable {
  readonly family: NftFamily;
  readonly name: string;
  readonly handle?: number;
}

/** An address element value: an address or a prefix. */
export type NftElemValue = string | { readonly prefix: { readonly addr: string; readonly len: number } };

/** A set element, with optional timeout and (when read back) expiry, in seconds. */
export type NftElem = NftElemValue | { readonly elem: { readonly val: NftElemValue; readonly timeout?: number; readonly expires?: number } };

/** A named set. */
export interface NftSet {
  readonly family: NftFamily;
  readonly table: string;
  readonly name: string;
  readonly type?: 'ipv4_addr' | 'ipv6_addr';
  readonly flags?: readonly string[];
  readonly handle?: number;
  readonly elem?: readonly NftElem[];
}

/** A chain; base chains carry type, hook, prio and policy. */
export interface NftChain {
  readonly family: NftFamily;
  readonly table: string;
  readonly name: string;
  readonly handle?: number;
  readonly type?: 'filter';
  readonly hook?: string;
  readonly prio?: number;
  readonly policy?: 'accept' | 'drop';
}

/** One expression or statement of a rule (schema objects like `match`, `drop`, `reject`). */
export type NftExpr = { readonly [key: string]: unknown };

/** A rule. */
export interface NftRule {
  readonly family: NftFamily;
  readonly table: string;
  readonly chain: string;
  readonly handle?: number;
  readonly comment?: string;
  readonly expr?: readonly NftExpr[];
}

/** Elements of one set, for add/delete. */
export interface NftElements {
  readonly family: NftFamily;
  readonly table: string;
  readonly name: string;
  readonly elem: readonly NftElem[];
}

/** A named counter (f2b-fw's ownership marker is one). */
export interface NftCounter {
  readonly family: NftFamily;
  readonly table: string;
  readonly name: string;
  readonly comment?: string;
  readonly handle?: number;
}

/** Any object a command can name. */
export type NftObject =
  | { readonly table: NftTable }
  | { readonly set: NftSet }
  | { readonly chain: NftChain }
  | { readonly rule: NftRule }
  | { readonly element: NftElements }
  | { readonly counter: NftCounter };

/** One command of a batch. */
export type NftCommand =
  | { readonly add: NftObject }
  | { readonly delete: NftObject }
  | { readonly flush: NftObject };

/** A whole document sent to libnftables. */
export interface NftDocument {
  readonly nftables: readonly NftCommand[];
}

/** One object of a listing (metainfo first, then objects). */
export type NftOutputItem = NftObject | { readonly metainfo: { readonly version: string; readonly json_schema_version: number } };
