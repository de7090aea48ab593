/**
 * A reconcile plan: the difference between desired and actual kernel state,
 * printable for `--dry-run` and serialisable for `--json`. Drivers produce it;
 * applying it is one transaction.
 */

/** What a change does. */
export type PlanAction = 'create' | 'delete' | 'replace' | 'add' | 'remove' | 'refresh';

/** One change. `object` names the kernel object, e.g. `set inet f2b-fw sshd-v4`. */
export interface PlanChange {
  readonly action: PlanAction;
  /** Kind of object: table, chain, set, rule, element, jump, ipset. */
  readonly kind: string;
  readonly object: string;
  /** Why: `missing`, `not in config`, `ports changed`, `duplicate`, `stale f2b chain`, … */
  readonly reason: string;
}

/** The plan for one reconcile. */
export interface Plan {
  readonly changes: readonly PlanChange[];
  /** Jails whose bans did not all fit their sets' maxelem (the longest-lasting were kept); not a change. */
  readonly full?: readonly { readonly jail: string; readonly skipped: number; readonly maxelem: number }[];
  /** Bans left out because their address is not one (first 10); not a change. */
  readonly invalid?: readonly { readonly jail: string; readonly addr: string }[];
}

/** True when the kernel already matches the desired state. */
export function isEmptyPlan(plan: Plan): boolean {
  return plan.changes.length === 0;
}

/** Human-readable plan, one change per line; element changes are summarised per object. */
export function formatPlan(plan: Plan): string {
  if (isEmptyPlan(plan)) return 'nothing to do: the kernel matches the configuration';
  const lines: string[] = [];
  const elements = new Map<string, number>();
  for (const c of plan.changes) {
    if (c.kind === 'element') {
      const key = `${c.action} ${c.reason}`;
      elements.set(key, (elements.get(key) ?? 0) + 1);
      if ((elements.get(key) ?? 0) <= 10) lines.push(`  ${c.action.padEnd(7)} ${c.kind} ${c.object} (${c.reason})`);
    } else {
      lines.push(`  ${c.action.padEnd(7)} ${c.kind} ${c.object} (${c.reason})`);
    }
  }
  for (const [key, n] of elements) if (n > 10) lines.push(`  … and ${n - 10} more element changes: ${key}`);
  for (const b of plan.invalid ?? []) lines.push(`  (jail ${b.jail}: ${JSON.stringify(b.addr)} is no address: left out)`);
  for (const f of plan.full ?? []) lines.push(`  (jail ${f.jail}: ${f.skipped} ban(s) not in the kernel, a set is at maxelem ${f.maxelem})`);
  return [`${plan.changes.length} change(s):`, ...lines].join('\n');
}
