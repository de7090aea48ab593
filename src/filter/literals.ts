/**
 * Literal prefilter: from a regex's syntax tree, a set of strings of which at
 * least one must occur in any line the regex matches. Lines containing none
 * of a filter's literals skip date detection and every regex (the hot path
 * for the noise that makes up most of a log).
 */
import type { Alt, Node, Seq } from './pyregex-ast.js';
import { jsLiteral } from './pyregex-parse.js';

/** One required string; `ci` when it may occur in either case. */
export interface Literal { readonly text: string; readonly ci: boolean }

/** Alternatives of which one must occur; null when nothing is required. */
type Need = readonly Literal[] | null;

function score(n: Need): number {
  return n === null || n.length === 0 ? 0 : Math.min(...n.map((l) => l.text.length)) - (n.length - 1) * 0.01;
}

function better(a: Need, b: Need): Need {
  return score(b) > score(a) ? b : a;
}

function fromAlt(alt: Alt): Need {
  const all: Literal[] = [];
  for (const seq of alt) {
    const need = fromSeq(seq);
    if (need === null || need.length === 0) return null;
    all.push(...need);
  }
  return all;
}

function fromSeq(seq: Seq): Need {
  let best: Need = null;
  let run = '';
  let runCi = false;
  const flush = (): void => {
    if (run !== '') best = better(best, [{ text: run, ci: runCi }]);
    run = '';
    runCi = false;
  };
  for (const n of seq) {
    if (n.k === 'char') {
      run += n.ci ? n.c.toLowerCase() : n.c;
      runCi ||= n.ci;
      continue;
    }
    if (n.k === 'anchor' || (n.k === 'group' && n.kind === 'look')) continue;
    flush();
    best = better(best, fromNode(n));
  }
  flush();
  return best;
}

function fromNode(n: Node): Need {
  if (n.k === 'group' && n.kind !== 'look') return fromAlt(n.alt);
  if (n.k === 'quant' && n.min >= 1) return fromNode(n.node);
  return null;
}

/** Required literals of a translated regex, or null if it can match without any. */
export function requiredLiterals(tree: Alt): readonly Literal[] | null {
  const need = fromAlt(tree);
  return need === null || need.length === 0 ? null : need;
}

/**
 * The failregexes see the line with its date cut out, so a required literal
 * may sit in the raw line split in two around the date. Whatever the split,
 * one of the literal's halves is intact: the raw line must contain the first
 * or the second half.
 */
function halves(literals: readonly Literal[]): Literal[] {
  return literals.flatMap((l) => {
    const n = l.text.length;
    if (n < 2) return [l];
    return [{ text: l.text.slice(0, Math.ceil(n / 2)), ci: l.ci }, { text: l.text.slice(Math.floor(n / 2)), ci: l.ci }];
  });
}

/**
 * One RegExp testing whether a raw line (date still in it) can hold any of
 * `literals`: it contains a half of one of them (deduplicated; case-insensitive
 * ones spelled with two-case classes). Null if empty.
 */
export function literalPrefilter(literals: readonly Literal[]): RegExp | null {
  const seen = new Set<string>();
  const parts: string[] = [];
  for (const l of halves(literals)) {
    const key = `${l.ci ? 'i' : 's'}${l.text}`;
    if (seen.has(key)) continue;
    seen.add(key);
    parts.push([...l.text].map((c) => {
      const up = c.toUpperCase();
      return l.ci && up !== c ? `[${c}${up}]` : jsLiteral(c);
    }).join(''));
  }
  return parts.length ? new RegExp(parts.join('|')) : null;
}
