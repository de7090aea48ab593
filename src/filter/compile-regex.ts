/**
 * One filter regex (failregex, ignoreregex, prefregex) from fail2ban text to
 * a JavaScript RegExp: tags expanded, Python dialect translated, checked for
 * V8's linear-engine fallback, required literals derived. Any failure is a
 * ConfigError naming the key, the regex and the construct.
 */
import { LIMITS } from '../core/defaults.js';
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
  /** When not `linear`: the constructs that keep V8's linear engine out (`a lookbehind (?<!…)`…). */
  readonly nonLinear: string | null;
  /** Where the regex was written (file, line, key). */
  readonly pos: ConfigPosition;
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
  const blockers = new Set<string>();
  walk(translated.tree, (n) => {
    if (n.k === 'group' && n.kind === 'cap' && n.name !== undefined) groups.add(n.name);
    if (n.k === 'backref') blockers.add('a back-reference');
    if (n.k === 'group' && n.kind === 'look') blockers.add(n.look!.startsWith('<') ? `a lookbehind (?${n.look}…)` : `a lookahead (?${n.look}…)`);
    if ((n.k === 'group' && n.kind === 'atomic') || (n.k === 'quant' && n.possessive)) blockers.add('an atomic group or possessive quantifier (emulated with a lookahead and a back-reference)');
  });
  const linear = linearEligible(translated.source, translated.flags);
  return {
    text,
    re,
    groups,
    aliases: translated.aliases,
    table: groupTable(translated.index, translated.aliases),
    linear,
    nonLinear: linear ? null : [...blockers].join(', ') || 'a construct V8\'s linear engine refuses',
    pos: ctx.pos,
    literals: requiredLiterals(translated.tree),
  };
}

/**
 * The warning check-config and the daemon give for a regex V8's linear engine
 * cannot run: where it is, the regex, which construct keeps the engine out, and
 * what that means (backtracking-prone; matched in a worker thread under a watchdog).
 */
export function nonLinearWarning(r: FilterRegex): string {
  const where = `${r.pos.file}${r.pos.line === undefined ? '' : `:${r.pos.line}`} ${r.pos.key ?? 'regex'}`;
  return `${where} ${JSON.stringify(r.text)}: ${r.nonLinear} keeps V8's linear-time regex engine out, so a crafted line can make it backtrack for hours; `
    + `this filter is matched in a worker thread and a line running past ${LIMITS.matchWatchdogMs} ms is abandoned`;
}

/** True if the regex captures group `name` (directly or as a renamed duplicate). */
export function hasGroup(r: FilterRegex, name: string): boolean {
  if (r.groups.has(name)) return true;
  for (const base of r.aliases.values()) if (base === name) return true;
  return false;
}
