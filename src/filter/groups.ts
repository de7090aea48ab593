/**
 * Turning a regex match into fail2ban's group dictionary and a FilterHit's
 * `fields`: renamed duplicates folded back, `alt_NAME[_N]` merged into
 * `NAME`, internal groups (addresses, multi-line ids, flags, skipped lines)
 * kept out of `fields`. The name tables are built once per regex.
 */

const INTERNAL = new Set(['ip4', 'ip6', 'dns', 'cidr', 'fid', 'mlfid', 'nofail', 'mlfforget', 'mlfgained', 'mlfpending', 'content']);

/** For one regex: each capture's group number with the fail2ban name it stands for. */
export interface GroupTable {
  readonly indices: readonly number[];
  readonly bases: readonly string[];
  /** `alt_user` → `user` merges, applied after the plain names. */
  readonly alts: ReadonlyArray<readonly [string, string]>;
  /** Group number of `<F-CONTENT>` (prefregex), if any. */
  readonly content: number | undefined;
  /** Group numbers of `<SKIPLINES>` captures. */
  readonly skiplines: readonly number[];
}

/** Builds the table from capture name → group number and the renamed duplicates. */
export function groupTable(index: ReadonlyMap<string, number>, aliases: ReadonlyMap<string, string>): GroupTable {
  const indices: number[] = [];
  const bases: string[] = [];
  const alts: Array<[string, string]> = [];
  const skiplines: number[] = [];
  for (const [name, i] of index) {
    const base = aliases.get(name) ?? name;
    if (base.startsWith('__')) continue;
    if (base.startsWith('skiplines')) skiplines.push(i);
    indices.push(i);
    bases.push(base);
    const alt = /^alt_(.+?)(?:_\d+)?$/.exec(base);
    if (alt !== null && !alts.some(([a]) => a === base)) alts.push([base, alt[1]!]);
  }
  return { indices, bases, alts, content: index.get('content'), skiplines };
}

/** The defined groups of `m` by fail2ban name, added to `into` (later values win). */
export function matchGroups(m: RegExpExecArray, t: GroupTable, into: Record<string, string>): Record<string, string> {
  const { indices, bases } = t;
  for (let i = 0; i < indices.length; i++) {
    const v = m[indices[i]!];
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
