/**
 * Turning a regex match into fail2ban's group dictionary and a FilterHit's
 * `fields`: renamed duplicates folded back, `alt_NAME[_N]` merged into
 * `NAME`, internal groups (addresses, multi-line ids, flags, skipped lines)
 * kept out of `fields`. The name tables are built once per regex.
 */

const INTERNAL = new Set(['ip4', 'ip6', 'dns', 'cidr', 'fid', 'mlfid', 'nofail', 'mlfforget', 'mlfgained', 'mlfpending', 'content']);

/** For one regex: each capture name with the fail2ban name it stands for. */
export interface GroupTable {
  readonly names: readonly string[];
  readonly bases: readonly string[];
  /** `alt_user` → `user` merges, applied after the plain names. */
  readonly alts: ReadonlyArray<readonly [string, string]>;
}

/** Builds the table for a regex's capture names and its renamed duplicates. */
export function groupTable(groups: Iterable<string>, aliases: ReadonlyMap<string, string>): GroupTable {
  const names: string[] = [];
  const bases: string[] = [];
  const alts: Array<[string, string]> = [];
  for (const name of groups) {
    const base = aliases.get(name) ?? name;
    if (base.startsWith('__')) continue;
    names.push(name);
    bases.push(base);
    const alt = /^alt_(.+?)(?:_\d+)?$/.exec(base);
    if (alt !== null && !alts.some(([a]) => a === base)) alts.push([base, alt[1]!]);
  }
  return { names, bases, alts };
}

/** The defined groups of `m` by fail2ban name, added to `into` (later values win). */
export function matchGroups(m: RegExpExecArray, t: GroupTable, into: Record<string, string>): Record<string, string> {
  const g = m.groups;
  if (g === undefined) return into;
  const { names, bases } = t;
  for (let i = 0; i < names.length; i++) {
    const v = g[names[i]!];
    if (v !== undefined) into[bases[i]!] = v;
  }
  for (const [alt, target] of t.alts) {
    const v = into[alt];
    if (v === undefined) continue;
    if (!into[target]) into[target] = v;
    delete into[alt];
  }
  return into;
}

/** The user-visible captures (`user`, `fport`, custom `F-…` names). */
export function publicFields(groups: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k in groups) {
    if (!INTERNAL.has(k) && !k.startsWith('skiplines')) out[k] = groups[k]!;
  }
  return out;
}
