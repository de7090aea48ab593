/**
 * One filter regex (failregex, ignoreregex, prefregex) from fail2ban text to
 * a JavaScript RegExp: tags expanded, Python dialect translated, checked for
 * V8's linear-engine fallback, required literals derived. Any failure is a
 * ConfigError naming the key, the regex and the construct.
 */
import { ConfigError, type ConfigPosition } from '../core/errors.js';
import { groupTable, type GroupTable } from './groups.js';
import { enableBacktrackGuard, linearEligible } from './guard.js';
import { requiredLiterals } from './literals.js';
import { walk } from './pyregex-ast.js';
import { RegexSyntaxError } from './pyregex-parse.js';
import { translatePython } from './pyregex.js';
import { expandTags, type UseDns } from './tags.js';

/** A compiled filter regex. */
export interface FilterRegex {
  /** The regex as written in the filter. */
  readonly text: string;
  readonly re: RegExp;
  /** Every capture name in the regex (after translation), for quick `has` checks. */
  readonly groups: ReadonlySet<string>;
  /** Renamed duplicate groups → the name they stand for. */
  readonly aliases: ReadonlyMap<string, string>;
  /** Capture names → fail2ban names, for extracting a match's groups. */
  readonly table: GroupTable;
  /** V8 falls back to its linear engine on excessive backtracking for this regex. */
  readonly linear: boolean;
  /** Literals one of which occurs in every match; null if none is required. */
  readonly literals: readonly string[] | null;
}

/** How to compile: where the regex came from (for errors), `usedns`, multi-line. */
export interface RegexContext {
  readonly pos: ConfigPosition;
  readonly usedns: UseDns;
  readonly multiline: boolean;
}

/** Compiles one regex line of a filter. */
export function compileFilterRegex(text: string, ctx: RegexContext): FilterRegex {
  enableBacktrackGuard();
  const where: ConfigPosition = { ...ctx.pos, value: text };
  const expanded = expandTags(text, ctx.usedns);
  if (expanded.trim() === '') throw new ConfigError(where, 'empty regex');
  let translated;
  try {
    translated = translatePython(expanded, ctx.multiline, true);
  } catch (e) {
    if (e instanceof RegexSyntaxError) {
      throw new ConfigError(where, `regex cannot be used: ${e.construct} (Python construct without a JavaScript equivalent or invalid)`);
    }
    throw e;
  }
  let re: RegExp;
  try {
    re = new RegExp(translated.source, translated.flags);
  } catch (e) {
    throw new ConfigError(where, `regex cannot be used: ${(e as Error).message}`);
  }
  const groups = new Set<string>();
  walk(translated.tree, (n) => { if (n.k === 'group' && n.kind === 'cap' && n.name !== undefined) groups.add(n.name); });
  return {
    text,
    re,
    groups,
    aliases: translated.aliases,
    table: groupTable(translated.index, translated.aliases),
    linear: linearEligible(translated.source, translated.flags),
    literals: requiredLiterals(translated.tree),
  };
}

/** True if the regex captures group `name` (directly or as a renamed duplicate). */
export function hasGroup(r: FilterRegex, name: string): boolean {
  if (r.groups.has(name)) return true;
  for (const base of r.aliases.values()) if (base === name) return true;
  return false;
}
