/**
 * Reconcile: compares the desired with the actual state of table
 * `inet f2b-fw` and produces the printable Plan together with the commands
 * that apply it as one transaction. Only objects f2b-fw owns are touched:
 * our base chains, sets named `<jail>-v4…`, rules with our comment prefix.
 */
import { KernelError } from '../../core/errors.js';
import type { Plan, PlanChange } from '../plan.js';
import type { NftChain, NftCommand, NftRule, NftSet } from '../../../native/nftables/json.js';
import { addChain, deleteChain, flushChain } from '../../../native/nftables/chain.js';
import { addSet, deleteSet } from '../../../native/nftables/set.js';
import { addRule, deleteRule } from '../../../native/nftables/rule.js';
import { addCounter, addTable, markerCounter } from '../../../native/nftables/table.js';
import { addElements, element, refreshElements, removeElements } from '../../../native/nftables/element.js';
import type { ActualState } from './actual.js';
import { ruleKey, type DesiredState, type WantedTimeout } from './desired.js';
import { MARKER_COMMENT, MARKER_NAME, TABLE, idText, parseSetName, ruleJail } from './names.js';

/**
 * A remaining time this close to the wanted one counts as equal: seconds, or
 * this fraction of the wanted time if larger (a big transaction takes seconds,
 * and the kernel starts each timeout when the transaction commits).
 */
export const TIMEOUT_SLACK_SEC = 10;
/** See TIMEOUT_SLACK_SEC. */
export const TIMEOUT_SLACK_RATIO = 0.01;
/** Hooks whose base chains f2b-fw owns in its table. */
const OWN_CHAINS = new Set(['input', 'forward', 'prerouting']);

/** A plan and the commands that carry it out. */
export interface ReconcileResult {
  readonly plan: Plan;
  readonly commands: readonly NftCommand[];
}

const T = `${TABLE.family} ${TABLE.name}`;

function sameChain(a: NftChain, b: NftChain): boolean {
  return chainDifferences(a, b).length === 0;
}

/** What differs between the chain we want and the one found, as `key found → wanted` texts. */
function chainDifferences(want: NftChain, found: NftChain): string[] {
  const out: string[] = [];
  for (const key of ['type', 'hook', 'prio', 'policy'] as const) {
    if (want[key] !== found[key]) out.push(`${key} ${String(found[key] ?? 'none')} → ${String(want[key] ?? 'none')}`);
  }
  return out;
}

function sameSet(a: NftSet, b: NftSet): boolean {
  return a.type === b.type && [...(a.flags ?? [])].sort().join() === [...(b.flags ?? [])].sort().join();
}

/** `wanted` in seconds, `actualMs` as the kernel reports it, in milliseconds. */
function timeoutMatches(wanted: WantedTimeout, actualMs: number | null): boolean {
  if (wanted === null || actualMs === null) return wanted === actualMs;
  return Math.abs(wanted - actualMs / 1000) <= Math.max(TIMEOUT_SLACK_SEC, wanted * TIMEOUT_SLACK_RATIO);
}

/**
 * Computes the plan. Throws KernelError when the table exists without our
 * marker and neither `force` is given nor `ours` (this process built the
 * table: its marker counter was deleted, which must not stop self-healing).
 */
export function reconcilePlan(desired: DesiredState, actual: ActualState, force = false, ours = false): ReconcileResult {
  if (actual.exists && !actual.marked && !force && !ours) {
    throw new KernelError(
      `table ${T} exists but was not created by f2b-fw (no counter ${MARKER_NAME} in it); refusing to change it: rename or delete that table, or run \`f2b-fw reconcile --force\` to take it over`,
      `list table ${T}`,
    );
  }
  const changes: PlanChange[] = [];
  const head: NftCommand[] = [];
  const ruleDeletes: NftCommand[] = [];
  const setDeletes: NftCommand[] = [];
  const chainDeletes: NftCommand[] = [];
  const creates: NftCommand[] = [];
  const ruleAdds: NftCommand[] = [];
  const elementCmds: NftCommand[] = [];

  if (!actual.exists) changes.push({ action: 'create', kind: 'table', object: `${T}`, reason: 'missing' });
  if (!actual.marked) {
    head.push(addTable(TABLE), addCounter(markerCounter(TABLE, MARKER_NAME, MARKER_COMMENT)));
    if (actual.exists) {
      changes.push({
        action: 'create', kind: 'marker', object: `${T} ${MARKER_NAME}`,
        reason: ours && !force ? 'the ownership marker was deleted (this daemon built the table): put back' : 'taking over the table (--force)',
      });
    }
  }

  // Chains: replaced ones are flushed, deleted and added again (their rules re-added below).
  const replacedChains = new Set<string>();
  for (const [name, chain] of actual.chains) {
    if (!OWN_CHAINS.has(name)) continue;
    const want = desired.chains.get(name);
    if (want && sameChain(want, chain)) continue;
    chainDeletes.push(flushChain(chain), deleteChain(chain));
    if (want) {
      replacedChains.add(name);
      creates.push(addChain(want));
      changes.push({ action: 'replace', kind: 'chain', object: `${T} ${name}`, reason: `changed by someone else: ${chainDifferences(want, chain).join(', ')}` });
    } else {
      changes.push({ action: 'delete', kind: 'chain', object: `${T} ${name}`, reason: 'no jail uses this hook' });
    }
  }
  for (const [name, chain] of desired.chains) {
    if (!actual.chains.has(name)) {
      creates.push(addChain(chain));
      changes.push({ action: 'create', kind: 'chain', object: `${T} ${name}`, reason: 'missing' });
    }
  }

  // Sets: a replaced set loses its elements and the rules that use it.
  const replacedSets = new Set<string>();
  for (const [name, set] of actual.sets) {
    const parsed = parseSetName(name);
    if (!parsed) continue;
    const want = desired.sets.get(name);
    if (want && sameSet(want, set)) continue;
    setDeletes.push(deleteSet(set));
    if (want) {
      replacedSets.add(name);
      creates.push(addSet(want));
      changes.push({ action: 'replace', kind: 'set', object: `${T} ${name}`, reason: 'type or flags changed' });
    } else {
      changes.push({ action: 'delete', kind: 'set', object: `${T} ${name}`, reason: `jail ${parsed.jail} not in config` });
    }
  }
  for (const [name, set] of desired.sets) {
    if (!actual.sets.has(name)) {
      creates.push(addSet(set));
      changes.push({ action: 'create', kind: 'set', object: `${T} ${name}`, reason: 'missing' });
    }
  }
  const jailsOfReplacedSets = new Set([...replacedSets].map((n) => parseSetName(n)?.jail));

  // Rules: keep one of each wanted rule; delete duplicates, changed and removed ones.
  const kept = new Set<string>();
  for (const r of actual.rules) {
    if (!OWN_CHAINS.has(r.chain)) continue;
    const jail = ruleJail(r.comment);
    if (jail === undefined || r.comment === undefined) {
      // Our chains hold our rules only: anything else (an `accept` inserted before our drops) would bypass bans.
      if (!replacedChains.has(r.chain)) ruleDeletes.push(deleteRule(r));
      changes.push({
        action: 'delete', kind: 'rule', object: `${T} ${r.chain} handle ${r.handle}${r.comment === undefined ? '' : ` "${r.comment}"`}`,
        reason: 'not put there by f2b-fw (a rule without our comment in our chain)',
      });
      continue;
    }
    const key = ruleKey(r.chain, r.comment);
    const wanted = desired.rules.has(key);
    const gone = replacedChains.has(r.chain) || jailsOfReplacedSets.has(jail);
    if (wanted && !kept.has(key) && !gone) {
      kept.add(key);
      continue;
    }
    if (!replacedChains.has(r.chain)) ruleDeletes.push(deleteRule(r));
    if (!wanted) {
      const why = desired.sets.has(`${jail}-v4`) ? 'ports, protocol or verdict changed' : `jail ${jail} not in config`;
      changes.push({ action: 'delete', kind: 'rule', object: `${T} ${r.chain} "${r.comment}"`, reason: why });
    } else if (kept.has(key)) {
      changes.push({ action: 'delete', kind: 'rule', object: `${T} ${r.chain} "${r.comment}"`, reason: 'duplicate' });
    }
  }
  for (const [key, r] of desired.rules) {
    if (kept.has(key)) continue;
    ruleAdds.push(addRule(r as NftRule));
    changes.push({ action: 'create', kind: 'rule', object: `${T} ${r.chain} "${r.comment}"`, reason: 'missing' });
  }

  // Elements, compared by identity (key bytes for addresses): only changes are turned into text.
  for (const [name, wanted] of desired.elements) {
    const set = desired.sets.get(name) as NftSet;
    const kind = set.flags?.includes('interval') ? 'net' : 'addr';
    const have = replacedSets.has(name) ? new Map<string, number | null>() : actual.elements.get(name) ?? new Map<string, number | null>();
    const add = [];
    const refresh = [];
    let present = 0;
    for (const [id, timeout] of wanted) {
      const cur = have.get(id);
      if (cur === undefined && !have.has(id)) {
        const addr = idText(id, kind);
        add.push(element(addr, timeout));
        changes.push({ action: 'add', kind: 'element', object: `${T} ${name} ${addr}`, reason: 'banned' });
        continue;
      }
      present++;
      if (!timeoutMatches(timeout, cur ?? null)) {
        const addr = idText(id, kind);
        refresh.push(element(addr, timeout));
        changes.push({ action: 'refresh', kind: 'element', object: `${T} ${name} ${addr}`, reason: 'timeout differs' });
      }
    }
    const remove = present === have.size ? [] : [...have.keys()].filter((id) => !wanted.has(id)).map((id) => idText(id, kind));
    for (const a of remove) changes.push({ action: 'remove', kind: 'element', object: `${T} ${name} ${a}`, reason: 'not banned' });
    // Elements may time out between reading and applying: the add-first forms never fail on absence.
    if (remove.length) elementCmds.push(...removeElements(set, remove));
    if (refresh.length) elementCmds.push(...refreshElements(set, refresh));
    if (add.length) elementCmds.push(addElements(set, add));
  }

  const commands = changes.length === 0 ? [] : [...head, ...ruleDeletes, ...chainDeletes, ...setDeletes, ...creates, ...ruleAdds, ...elementCmds];
  return { plan: { changes }, commands };
}
