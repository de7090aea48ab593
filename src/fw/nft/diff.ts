/**
 * Reconcile: compares the desired with the actual state of table
 * `inet f2b-fw` and produces the printable Plan together with the batch
 * (native/nftables/batch.ts) that applies it as one transaction. Only
 * objects f2b-fw owns are touched: our base chains, sets named `<jail>-v4…`,
 * rules with our comment prefix — and anything else found in our chains.
 */
import { KernelError } from '../../core/errors.js';
import type { Plan, PlanAction, PlanChange } from '../plan.js';
import { NftBatch } from '../../../native/nftables/batch.js';
import { delChain, flushChain, newChain, type NftChain } from '../../../native/nftables/chain.js';
import { delSet, type NftSet } from '../../../native/nftables/set.js';
import { delRule } from '../../../native/nftables/rule.js';
import { newTable } from '../../../native/nftables/table.js';
import { newCounter } from '../../../native/nftables/counter.js';
import { intervalChange, type ElementChange } from '../../../native/nftables/element.js';
import type { ActualState } from './actual.js';
import { ruleKey, type DesiredState, type WantedTimeout } from './desired.js';
import { MARKER_COMMENT, MARKER_NAME, TABLE, idText, netBounds, parseSetName, ruleJail, type SetKind } from './names.js';

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

/** A plan and the batch that carries it out (empty when nothing is to do). */
export interface ReconcileResult {
  readonly plan: Plan;
  readonly batch: NftBatch;
}

/** One step of the batch, queued by category and added in the order the kernel needs. */
type Step = (b: NftBatch) => unknown;

/** Element identities of one set with timeouts in seconds, as one element change (ms). */
function changeOf(op: 'add' | 'delete', set: NftSet, items: readonly (readonly [string, WantedTimeout])[]): ElementChange {
  const keyLen = set.type === 'ipv4_addr' ? 4 : 16;
  const ms = (t: WantedTimeout): number | null => (op === 'add' && t !== null ? t * 1000 : null);
  if (set.flags.includes('interval')) return intervalChange(op, set.name, keyLen, items.map(([id, t]) => ({ ...netBounds(id), timeoutMs: ms(t) })));
  const keys = Buffer.alloc(keyLen * items.length);
  items.forEach(([id], i) => keys.write(id, i * keyLen, 'latin1'));
  return { op, set: set.name, keyLen, keys, ...(op === 'add' ? { timeoutsMs: items.map(([, t]) => ms(t)) } : {}) };
}

const T = `${TABLE.family} ${TABLE.name}`;

/**
 * An element change of a plan, its `object` text made when read: a restore of
 * 100,000 bans only counts its changes, and formatting every address (and a
 * string per element) was a third of its reconcile. `--json` and `formatPlan` read it as any change.
 */
class ElementPlanChange implements PlanChange {
  readonly action: PlanAction;
  readonly kind = 'element';
  readonly reason: string;
  readonly #set: string;
  readonly #id: string;
  readonly #setKind: SetKind;

  constructor(action: PlanAction, set: string, id: string, setKind: SetKind, reason: string) {
    this.action = action;
    this.reason = reason;
    this.#set = set;
    this.#id = id;
    this.#setKind = setKind;
  }

  get object(): string {
    return `${T} ${this.#set} ${idText(this.#id, this.#setKind)}`;
  }

  toJSON(): PlanChange {
    return { action: this.action, kind: this.kind, object: this.object, reason: this.reason };
  }
}

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
  return a.type === b.type && [...a.flags].sort().join() === [...b.flags].sort().join();
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
  const head: Step[] = [];
  const ruleDeletes: Step[] = [];
  const setDeletes: Step[] = [];
  const chainDeletes: Step[] = [];
  const creates: Step[] = [];
  const ruleAdds: Step[] = [];
  const elementSteps: Step[] = [];

  if (!actual.exists) changes.push({ action: 'create', kind: 'table', object: `${T}`, reason: 'missing' });
  if (!actual.marked) {
    head.push((b) => b.add(() => [newTable(TABLE), newCounter({ table: TABLE, name: MARKER_NAME, comment: MARKER_COMMENT })]));
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
    chainDeletes.push((b) => b.add(() => [flushChain(chain), delChain(chain)]));
    if (want) {
      replacedChains.add(name);
      creates.push((b) => b.add(() => newChain(want)));
      changes.push({ action: 'replace', kind: 'chain', object: `${T} ${name}`, reason: `changed by someone else: ${chainDifferences(want, chain).join(', ')}` });
    } else {
      changes.push({ action: 'delete', kind: 'chain', object: `${T} ${name}`, reason: 'no jail uses this hook' });
    }
  }
  for (const [name, chain] of desired.chains) {
    if (!actual.chains.has(name)) {
      creates.push((b) => b.add(() => newChain(chain)));
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
    setDeletes.push((b) => b.add(() => delSet(TABLE, set.name)));
    if (want) {
      replacedSets.add(name);
      creates.push((b) => b.addSet(want));
      changes.push({ action: 'replace', kind: 'set', object: `${T} ${name}`, reason: 'type or flags changed' });
    } else {
      changes.push({ action: 'delete', kind: 'set', object: `${T} ${name}`, reason: `jail ${parsed.jail} not in config` });
    }
  }
  for (const [name, set] of desired.sets) {
    if (!actual.sets.has(name)) {
      creates.push((b) => b.addSet(set));
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
      if (!replacedChains.has(r.chain)) ruleDeletes.push((b) => b.add(() => delRule(TABLE, r.chain, r.handle)));
      changes.push({
        action: 'delete', kind: 'rule', object: `${T} ${r.chain} handle ${r.handle}${r.comment === undefined ? '' : ` "${r.comment}"`}`,
        reason: 'not put there by f2b-fw (a rule without our comment in our chain)',
      });
      continue;
    }
    const key = ruleKey(r.chain, r.comment);
    const want = desired.rules.get(key);
    const wanted = want !== undefined;
    const gone = replacedChains.has(r.chain) || jailsOfReplacedSets.has(jail);
    // Our comment on someone else's body (`nft replace rule … accept comment "f2b-fw …"`) is not our rule.
    const changedBody = wanted && r.body !== want.body;
    if (wanted && !kept.has(key) && !gone && !changedBody) {
      kept.add(key);
      continue;
    }
    if (!replacedChains.has(r.chain)) ruleDeletes.push((b) => b.add(() => delRule(TABLE, r.chain, r.handle)));
    if (changedBody && !gone) {
      changes.push({ action: 'delete', kind: 'rule', object: `${T} ${r.chain} handle ${r.handle} "${r.comment}"`, reason: 'its body was changed by someone else (our comment, other matches or verdict)' });
    } else if (!wanted) {
      const why = desired.sets.has(`${jail}-v4`) ? 'ports, protocol or verdict changed' : `jail ${jail} not in config`;
      changes.push({ action: 'delete', kind: 'rule', object: `${T} ${r.chain} "${r.comment}"`, reason: why });
    } else if (kept.has(key)) {
      changes.push({ action: 'delete', kind: 'rule', object: `${T} ${r.chain} "${r.comment}"`, reason: 'duplicate' });
    }
  }
  for (const [key, r] of desired.rules) {
    if (kept.has(key)) continue;
    ruleAdds.push((b) => b.addRule(r));
    changes.push({ action: 'create', kind: 'rule', object: `${T} ${r.chain} "${r.comment}"`, reason: 'missing' });
  }

  // Elements, compared by identity (key bytes for addresses): only changes are turned into text.
  for (const [name, wanted] of desired.elements) {
    const set = desired.sets.get(name) as NftSet;
    const kind = set.flags.includes('interval') ? 'net' : 'addr';
    const have = replacedSets.has(name) ? new Map<string, number | null>() : actual.elements.get(name) ?? new Map<string, number | null>();
    const add: [string, WantedTimeout][] = [];
    const refresh: [string, WantedTimeout][] = [];
    let present = 0;
    for (const [id, timeout] of wanted) {
      const cur = have.get(id);
      if (cur === undefined && !have.has(id)) {
        add.push([id, timeout]);
        changes.push(new ElementPlanChange('add', name, id, kind, 'banned'));
        continue;
      }
      present++;
      if (!timeoutMatches(timeout, cur ?? null)) {
        refresh.push([id, timeout]);
        changes.push(new ElementPlanChange('refresh', name, id, kind, 'timeout differs'));
      }
    }
    const remove = present === have.size ? [] : [...have.keys()].filter((id) => !wanted.has(id)).map((id): [string, WantedTimeout] => [id, null]);
    for (const [id] of remove) changes.push(new ElementPlanChange('remove', name, id, kind, 'not banned'));
    // Elements may time out between reading and applying: add first, so a delete never fails on absence;
    // a refresh is add, delete, add (a plain add keeps the old timeout on older kernels).
    const steps: ElementChange[] = [];
    if (remove.length) steps.push(changeOf('add', set, remove), changeOf('delete', set, remove));
    if (refresh.length) steps.push(changeOf('add', set, refresh), changeOf('delete', set, refresh), changeOf('add', set, refresh));
    if (add.length) steps.push(changeOf('add', set, add));
    for (const c of steps) elementSteps.push((b) => b.addElements(TABLE, c));
  }

  const batch = new NftBatch();
  if (changes.length > 0) for (const step of [...head, ...ruleDeletes, ...chainDeletes, ...setDeletes, ...creates, ...ruleAdds, ...elementSteps]) step(batch);
  return { plan: { changes }, batch };
}
