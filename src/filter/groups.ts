/**
 * Turning a regex match into fail2ban's group dictionary and a FilterHit's
 * `fields`: renamed duplicates folded back, `alt_NAME[_N]` merged into
 * `NAME`, internal groups (addresses, multi-line ids, flags, skipped lines)
 * kept out of `fields`.
 */
import type { FilterRegex } from './compile-regex.js';

const INTERNAL = new Set(['ip4', 'ip6', 'dns', 'cidr', 'fid', 'mlfid', 'nofail', 'mlfforget', 'mlfgained', 'mlfpending', 'content']);

/** The defined groups of `m` by fail2ban name (first defined value wins). */
export function matchGroups(m: RegExpExecArray, r: FilterRegex, into: Record<string, string> = {}): Record<string, string> {
  const g = m.groups;
  if (g === undefined) return into;
  for (const name in g) {
    const v = g[name];
    if (v === undefined) continue;
    const base = r.aliases.get(name) ?? name;
    if (base.startsWith('__')) continue;
    into[base] = v;
  }
  for (const name of Object.keys(into)) {
    const alt = /^alt_(.+?)(?:_\d+)?$/.exec(name);
    if (alt === null) continue;
    const target = alt[1]!;
    if (!into[target]) into[target] = into[name]!;
    delete into[name];
  }
  return into;
}

/** The user-visible captures (`user`, `fport`, custom `F-…` names). */
export function publicFields(groups: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(groups)) {
    if (!INTERNAL.has(k) && !k.startsWith('skiplines')) out[k] = v;
  }
  return out;
}
