/**
 * Stale `f2b-*` chain cleanup for the iptables filter table (IPv4 and IPv6,
 * legacy and nft variants), run at startup and by `f2b-fw reconcile`.
 *
 * A chain named `f2b-*` that the desired state does not contain is stale:
 * the leftover of a crashed f2b-fw run, of a removed jail, or of fail2ban
 * itself (e.g. after `port = all` made `-m multiport --dports all` fail,
 * fail2ban leaves `f2b-<jail>` holding `-j RETURN` rules and no jump). The
 * plan removes every rule that jumps to it, flushes and deletes it. Our own
 * chains (rules commented `f2b-fw`) are rewritten when their rules differ or
 * hold duplicates; their jumps from INPUT/FORWARD are added or de-duplicated.
 * Chains without our comment belong to fail2ban: while a fail2ban server
 * answers on its socket they are left alone (with a warning) unless `force`.
 *
 * `planChains` is pure; `cleanupStaleChains` reads the kernel, plans and
 * (unless dry-run) applies with one `*-restore --noflush` per table — the
 * entry point for the reconcile command with the nftables backend, where no
 * iptables chain is desired at all.
 */
import { EnvironmentError } from '../core/errors.js';
import type { Plan, PlanChange } from './plan.js';
import type { IpsetFamily } from '../../native/ipset/messages.js';
import { fail2banRunning, FAIL2BAN_SOCKET } from './fail2ban-probe.js';
import { kernelFilterPresence, type FilterPresence } from './filter-presence.js';
import {
  FAMILIES, PREFIX, RULE_COMMENT, VARIANTS, isOurRule, readFilter, restoreFilter, ruleTarget, spawnCommand, tableLabel,
  type FamilyRules, type FilterTable, type IptablesVariant, type RuleText, type RunCommand,
} from './iptables.js';

const BUILTIN = new Set(['INPUT', 'FORWARD', 'OUTPUT']);

/** Desired content of one table (our variant, one family). */
export interface DesiredTable {
  readonly variant: IptablesVariant;
  readonly rules: FamilyRules;
}

/** What to plan from. */
export interface ChainPlanInput {
  /** Every filter table read (all installed variants, both families). */
  readonly tables: readonly FilterTable[];
  /** Our desired tables; empty when no iptables state is wanted (nftables backend). */
  readonly desired: readonly DesiredTable[];
  readonly fail2banRunning: boolean;
  readonly force: boolean;
}

/** The restore script for one table (lines between `*filter` and `COMMIT`). */
export interface TableScript {
  readonly variant: IptablesVariant;
  readonly family: IpsetFamily;
  readonly lines: readonly string[];
}

/** The plan: changes to report, scripts to apply, warnings, and conflicts that stop the run. */
export interface ChainPlan {
  readonly changes: PlanChange[];
  readonly scripts: TableScript[];
  readonly warnings: string[];
  /** Chains we need that a running fail2ban owns (an error unless force). */
  readonly conflicts: string[];
}

/** True when every rule of a chain carries our comment (an empty chain counts as ours). */
export function ownedByUs(rules: readonly RuleText[]): boolean {
  return rules.every((r) => isOurRule(r, RULE_COMMENT));
}

function countBy<T>(items: readonly T[]): Map<T, number> {
  const m = new Map<T, number>();
  for (const i of items) m.set(i, (m.get(i) ?? 0) + 1);
  return m;
}

function sameRules(a: readonly RuleText[], b: readonly RuleText[]): boolean {
  return a.length === b.length && a.every((r, i) => r === b[i]);
}

/** Plans one table; pushes into `out`. */
function planTable(t: FilterTable, desired: FamilyRules | undefined, input: ChainPlanInput, out: ChainPlan): void {
  const label = tableLabel(t.variant, t.family);
  const want = new Map((desired?.chains ?? []).map((c) => [c.name, c]));
  const declare: string[] = [];
  const deletes: string[] = [];
  const appends: string[] = [];
  const inserts: string[] = [];
  const drops: string[] = [];
  const stale = new Set<string>();
  const rewritten = new Set<string>();

  for (const [name, rules] of t.chains) {
    if (!name.startsWith(PREFIX) || want.has(name)) continue;
    const ours = ownedByUs(rules);
    if (!ours && input.fail2banRunning && !input.force) {
      out.warnings.push(`${label}: chain ${name} looks like fail2ban's and fail2ban is running: left alone (stop fail2ban or use --force)`);
      continue;
    }
    stale.add(name);
  }
  const jumpers = new Map<string, number>();
  for (const [, rules] of t.chains) for (const r of rules) {
    const target = ruleTarget(r);
    if (target !== undefined) jumpers.set(target, (jumpers.get(target) ?? 0) + 1);
  }
  for (const name of stale) {
    const rules = t.chains.get(name)!;
    const why = ownedByUs(rules) && rules.length > 0
      ? (desired ? 'stale f2b chain: not in config' : `stale f2b chain: f2b-fw does not use ${label}`)
      : `stale f2b chain: fail2ban leftover${(jumpers.get(name) ?? 0) === 0 ? ', nothing jumps to it' : ''}${rules.length > 0 && rules.every((r) => r === '-j RETURN') ? `, holding only ${rules.length} RETURN rule(s)` : ''}`;
    out.changes.push({ action: 'delete', kind: 'chain', object: `${label} filter ${name}`, reason: why });
    drops.push(`-F ${name}`);
  }
  for (const name of stale) drops.push(`-X ${name}`);

  for (const c of desired?.chains ?? []) {
    const actual = t.chains.get(c.name);
    if (actual === undefined) {
      declare.push(`:${c.name} - [0:0]`);
      appends.push(...c.rules.map((r) => `-A ${c.name} ${r}`));
      out.changes.push({ action: 'create', kind: 'chain', object: `${label} filter ${c.name}`, reason: 'missing' });
      continue;
    }
    if (!ownedByUs(actual) && input.fail2banRunning && !input.force) {
      out.conflicts.push(`${label}: chain ${c.name} is needed for jail ${c.jail} but belongs to the running fail2ban`);
      continue;
    }
    if (sameRules(actual, c.rules)) continue;
    const foreign = actual.filter((r) => !isOurRule(r, RULE_COMMENT));
    const reason = foreign.length === 0
      ? (sameRules([...new Set(actual)], c.rules) ? `duplicate rules collapsed (${actual.length} → ${c.rules.length})` : 'our rules differ from the configuration')
      : foreign.length < actual.length || actual.length === 0
        ? `${foreign.length} rule(s) that f2b-fw did not put there removed (first: ${foreign[0]})`
        : `taken over: every rule in it lacks f2b-fw's comment (fail2ban's chain, ${input.force ? '--force' : 'fail2ban not running'})`;
    declare.push(`:${c.name} - [0:0]`);
    appends.push(...c.rules.map((r) => `-A ${c.name} ${r}`));
    rewritten.add(c.name);
    out.changes.push({ action: 'replace', kind: 'chain', object: `${label} filter ${c.name}`, reason });
  }

  const wantJumps = countBy((desired?.jumps ?? []).map((j) => `${j.from} ${j.rule}`));
  const seen = new Map<string, number>();
  for (const [chain, rules] of t.chains) {
    if (stale.has(chain) || rewritten.has(chain)) continue;
    for (const r of rules) {
      const target = ruleTarget(r);
      if (target === undefined) continue;
      if (stale.has(target)) {
        deletes.push(`-D ${chain} ${r}`);
        out.changes.push({ action: 'remove', kind: 'jump', object: `${label} filter ${chain}: ${r}`, reason: `jumps to stale chain ${target}` });
      } else if (want.has(target) && BUILTIN.has(chain)) {
        const key = `${chain} ${r}`;
        const n = (seen.get(key) ?? 0) + 1;
        seen.set(key, n);
        const allowed = wantJumps.get(key) ?? 0;
        if (n > allowed) {
          deletes.push(`-D ${chain} ${r}`);
          out.changes.push({ action: 'remove', kind: 'jump', object: `${label} filter ${chain}: ${r}`, reason: allowed > 0 ? 'duplicate' : 'not in config (ports, protocols or hooks changed)' });
        }
      }
    }
  }
  const missing: string[] = [];
  for (const j of desired?.jumps ?? []) {
    const key = `${j.from} ${j.rule}`;
    const have = seen.get(key) ?? 0;
    if (have > 0) {
      seen.set(key, have - 1);
      continue;
    }
    missing.push(`-I ${j.from} 1 ${j.rule}`);
    out.changes.push({ action: 'add', kind: 'jump', object: `${label} filter ${j.from}: ${j.rule}`, reason: 'missing' });
  }
  inserts.push(...missing.reverse());

  const lines = [...declare, ...deletes, ...appends, ...inserts, ...drops];
  if (lines.length > 0) out.scripts.push({ variant: t.variant, family: t.family, lines });
}

/** Plans the filter tables (pure): stale chains, our chains, our jumps. */
export function planChains(input: ChainPlanInput): ChainPlan {
  const out: ChainPlan = { changes: [], scripts: [], warnings: [], conflicts: [] };
  for (const t of input.tables) {
    const d = input.desired.find((x) => x.variant === t.variant && x.rules.family === t.family);
    planTable(t, d?.rules, input, out);
  }
  for (const d of input.desired) {
    if (!input.tables.some((t) => t.variant === d.variant && t.family === d.rules.family)) {
      throw new EnvironmentError(`${tableLabel(d.variant, d.rules.family)}-save is not installed (apt-get install iptables)`);
    }
  }
  return out;
}

/**
 * Reads every installed variant's filter table for both families. A variant
 * we do not write (`required` lacks it) that cannot be read is skipped with a
 * warning: its leftovers stay, but our own backend still works. With
 * `present`, a table it says holds no `f2b-*` chain is not read (no program
 * started); a failing `present` reads the table.
 */
export async function readAllFilters(run: RunCommand, required: readonly IptablesVariant[], warnings: string[], present?: FilterPresence): Promise<FilterTable[]> {
  const tables: FilterTable[] = [];
  for (const v of VARIANTS) for (const f of FAMILIES) {
    if (present && !required.includes(v) && !(await present(v, f).catch(() => true))) continue;
    try {
      const t = await readFilter(run, v, f);
      if (t) tables.push(t);
    } catch (e) {
      if (required.includes(v)) throw e;
      warnings.push(`${tableLabel(v, f)}: not checked for stale f2b chains: ${(e as Error).message}`);
    }
  }
  return tables;
}

/** True when some table holds an `f2b-*` chain without our comment (only then is fail2ban asked). */
export function hasForeignF2bChains(tables: readonly FilterTable[]): boolean {
  return tables.some((t) => [...t.chains].some(([n, rules]) => n.startsWith(PREFIX) && !ownedByUs(rules)));
}

/** Checks every script with `--test`, then applies them: a bad script changes nothing. */
export async function applyScripts(run: RunCommand, scripts: readonly TableScript[]): Promise<void> {
  for (const s of scripts) await restoreFilter(run, s.variant, s.family, s.lines, true);
  for (const s of scripts) await restoreFilter(run, s.variant, s.family, s.lines);
}

/** Options for `cleanupStaleChains`. */
export interface StaleCleanupOptions {
  readonly dryRun?: boolean;
  readonly force?: boolean;
  /** Spawns iptables-save/-restore (default: child_process.spawn). */
  readonly run?: RunCommand;
  /**
   * Which filter tables may hold `f2b-*` chains, so the others are not read. Default: the
   * kernel's answer in this process's namespace (filter-presence.ts) when `run` is the default;
   * none (every table read) when `run` is given, as it may run the programs somewhere else.
   */
  readonly present?: FilterPresence;
  /** fail2ban's control socket (default /var/run/fail2ban/fail2ban.sock). */
  readonly fail2banSocket?: string;
  /** Our desired tables (none for the nftables backend). */
  readonly desired?: readonly DesiredTable[];
}

/** The outcome: the plan (as reconcile prints it) and warnings to show the admin. */
export interface StaleCleanupResult {
  readonly plan: Plan;
  readonly warnings: readonly string[];
}

/**
 * Finds and removes stale `f2b-*` chains in every installed iptables variant
 * and family (one restore call per table that changes). With `dryRun` only
 * the plan is returned. Throws EnvironmentError when a chain we need belongs
 * to a running fail2ban and `force` is not set.
 */
export async function cleanupStaleChains(options: StaleCleanupOptions = {}): Promise<StaleCleanupResult> {
  const run = options.run ?? spawnCommand;
  const readWarnings: string[] = [];
  const present = options.present ?? (options.run === undefined ? kernelFilterPresence : undefined);
  const tables = await readAllFilters(run, (options.desired ?? []).map((d) => d.variant), readWarnings, present);
  const running = hasForeignF2bChains(tables) ? await fail2banRunning(options.fail2banSocket ?? FAIL2BAN_SOCKET) : false;
  const plan = planChains({ tables, desired: options.desired ?? [], fail2banRunning: running, force: options.force ?? false });
  if (plan.conflicts.length > 0) throw new EnvironmentError(`${plan.conflicts.join('\n')}\nstop fail2ban first, or run with --force to take the chains over`);
  if (!options.dryRun) await applyScripts(run, plan.scripts);
  return { plan: { changes: plan.changes }, warnings: [...readWarnings, ...plan.warnings] };
}
