/**
 * Literal prefilter: from a regex's syntax tree, a set of strings of which at
 * least one must occur in any line the regex matches. Lines containing none
 * of a filter's literals skip date detection and every regex: the hot path
 * for the noise that makes up most of a log. One case-insensitive RegExp
 * alternation of few, long literals (irregexp scans it far faster than a
 * JavaScript loop over the characters could).
 */
import type { Alt, Node, Seq } from './pyregex-ast.js';
import { jsLiteral } from './pyregex-chars.js';

/** Alternatives of which one must occur; null when nothing is required. */
type Need = readonly string[] | null;

function score(n: Need): number {
  return n === null || n.length === 0 ? 0 : Math.min(...n.map((l) => l.length)) - (n.length - 1) * 0.01;
}

function better(a: Need, b: Need): Need {
  return score(b) > score(a) ? b : a;
}

function fromAlt(alt: Alt): Need {
  const all: string[] = [];
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
  const flush = (): void => {
    if (run !== '') best = better(best, [run]);
    run = '';
  };
  for (const n of seq) {
    if (n.k === 'char') { run += n.c; continue; }
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
export function requiredLiterals(tree: Alt): readonly string[] | null {
  const need = fromAlt(tree);
  return need === null || need.length === 0 ? null : need;
}

/**
 * Where a date may be cut out of a line before the failregexes see it:
 * `line-start` (only `^\W{0,2}` before the date) or `anywhere`.
 */
export type DateCut = 'line-start' | 'anywhere';

/**
 * The literals a raw line (date still in it) must contain one of. A literal
 * may be split by the cut-out date: with dates at the line start only the up
 * to two non-word characters before the date can be split off its front;
 * elsewhere, whichever the split, one of the literal's halves stays intact.
 */
function rawLiterals(literals: readonly string[], cut: DateCut): string[] {
  if (cut === 'line-start') return literals.map((l) => l.replace(/^\W{1,2}/, ''));
  return literals.flatMap((l) => (l.length < 2 ? [l] : [l.slice(0, Math.ceil(l.length / 2)), l.slice(Math.floor(l.length / 2))]));
}

/**
 * A RegExp testing whether a raw line can hold any of `literals` (compared
 * without case, a harmless relaxation), or null if nothing can be required.
 * Literals containing another one are dropped: the shorter one decides.
 */
export function literalPrefilter(literals: readonly string[], cut: DateCut): RegExp | null {
  const raw = [...new Set(rawLiterals(literals, cut).map((l) => l.toLowerCase()))];
  if (raw.length === 0 || raw.includes('')) return null;
  const minimal = raw.filter((a) => !raw.some((b) => b !== a && a.includes(b)));
  return new RegExp(minimal.map((l) => [...l].map(jsLiteral).join('')).join('|'), 'i');
}
