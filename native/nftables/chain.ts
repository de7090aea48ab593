/** Base chains: NEWCHAIN / DELCHAIN, and flushing a chain (DELRULE without a handle). */
import { nestedAttr } from '../netlink/attributes.js';
import { nftMessage, NFT_MSG, str, u32, type NftMessage } from './message.js';
import type { NftTable } from './family.js';
import { NLM_F } from '../netlink/socket.js';

const NFTA_CHAIN_TABLE = 1;
const NFTA_CHAIN_NAME = 3;
const NFTA_CHAIN_HOOK = 4;
const NFTA_CHAIN_POLICY = 5;
const NFTA_CHAIN_TYPE = 7;
const NFTA_HOOK_HOOKNUM = 1;
const NFTA_HOOK_PRIORITY = 2;
const NFTA_RULE_TABLE = 1;
const NFTA_RULE_CHAIN = 2;

/** Netfilter hooks by number (NF_INET_*), as the kernel reports them. */
export const HOOKS = ['prerouting', 'input', 'forward', 'output', 'postrouting'] as const;
/** A netfilter hook name. */
export type HookName = (typeof HOOKS)[number];
/** NF_DROP / NF_ACCEPT: the two chain policies. */
export const POLICY = { drop: 0, accept: 1 } as const;

/** A base chain. */
export interface NftChain {
  readonly table: NftTable;
  readonly name: string;
  readonly type?: string;
  readonly hook?: string;
  readonly prio?: number;
  readonly policy?: 'accept' | 'drop';
}

/** A filter base chain on `hook` at `prio`, policy accept (it only ever drops banned traffic). */
export function baseChain(t: NftTable, name: string, hook: HookName, prio: number): NftChain {
  return { table: t, name, type: 'filter', hook, prio, policy: 'accept' };
}

/** `add chain` (a base chain: type, hook, priority, policy). */
export function newChain(c: NftChain): NftMessage {
  const hooknum = HOOKS.indexOf(c.hook as HookName);
  if (hooknum < 0 || c.prio === undefined || c.type === undefined) throw new RangeError(`chain ${c.name}: only base chains are built (hook ${String(c.hook)})`);
  return nftMessage(NFT_MSG.NEWCHAIN, NLM_F.CREATE, c.table.family, [
    str(NFTA_CHAIN_TABLE, c.table.name),
    str(NFTA_CHAIN_NAME, c.name),
    str(NFTA_CHAIN_TYPE, c.type),
    u32(NFTA_CHAIN_POLICY, POLICY[c.policy ?? 'accept']),
    nestedAttr(NFTA_CHAIN_HOOK, [u32(NFTA_HOOK_HOOKNUM, hooknum), u32(NFTA_HOOK_PRIORITY, c.prio)]),
  ], `add chain ${c.table.family} ${c.table.name} ${c.name}`);
}

/** `delete chain` (flush it first in the same batch). */
export function delChain(c: NftChain): NftMessage {
  return nftMessage(NFT_MSG.DELCHAIN, 0, c.table.family, [str(NFTA_CHAIN_TABLE, c.table.name), str(NFTA_CHAIN_NAME, c.name)], `delete chain ${c.table.family} ${c.table.name} ${c.name}`);
}

/** `flush chain`: deletes every rule of the chain. */
export function flushChain(c: NftChain): NftMessage {
  return nftMessage(NFT_MSG.DELRULE, 0, c.table.family, [str(NFTA_RULE_TABLE, c.table.name), str(NFTA_RULE_CHAIN, c.name)], `flush chain ${c.table.family} ${c.table.name} ${c.name}`);
}
