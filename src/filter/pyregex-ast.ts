/**
 * The syntax tree of a Python (`re` module) regular expression, as the
 * translator parses it. The parser resolves flags (case-insensitivity, dotall,
 * verbose) while parsing, so the tree only holds what JavaScript must emit.
 */

/** A literal character; `ci` when it must match in either case. */
export interface CharNode { readonly k: 'char'; readonly c: string; readonly ci: boolean }
/** A character class or class escape, already in JavaScript syntax (`[a-z]`, `\d`, `[^\n]`). */
export interface SetNode { readonly k: 'set'; readonly src: string }
/** A zero-width assertion. */
export interface AnchorNode { readonly k: 'anchor'; readonly which: '^' | '$' | '\\b' | '\\B' | '\\A' | '\\Z' }
/** `(?P=name)` or `\N`. */
export interface BackrefNode { readonly k: 'backref'; ref: string | number }
/** Any group; `num` is Python's capture number (capturing groups only). */
export interface GroupNode {
  readonly k: 'group';
  readonly kind: 'cap' | 'nocap' | 'look' | 'atomic';
  name?: string;
  readonly num?: number;
  readonly look?: '=' | '!' | '<=' | '<!';
  alt: Alt;
}
/** A quantified atom. `max` is Infinity when unbounded. */
export interface QuantNode {
  readonly k: 'quant';
  node: Node;
  readonly min: number;
  readonly max: number;
  readonly lazy: boolean;
  readonly possessive: boolean;
}
/** `(?(ref)yes|no)`: JavaScript has no conditionals; the translator expands them. */
export interface CondNode { readonly k: 'cond'; ref: string | number; yes: Alt; no: Alt }

/** One element of a sequence. */
export type Node = CharNode | SetNode | AnchorNode | BackrefNode | GroupNode | QuantNode | CondNode;
/** A sequence of elements. */
export type Seq = Node[];
/** Alternatives (`a|b`): at least one sequence. */
export type Alt = Seq[];

/** A parsed pattern with the global flags it declared. */
export interface ParsedRegex {
  readonly alt: Alt;
  /** `(?m)` given, or multi-line matching requested by the caller. */
  readonly multiline: boolean;
  /** Number of capturing groups (Python numbering). */
  readonly groups: number;
}

/** Calls `visit` on every node below `alt`, depth first, parents before children. */
export function walk(alt: Alt, visit: (n: Node) => void): void {
  for (const seq of alt) for (const n of seq) walkNode(n, visit);
}

function walkNode(n: Node, visit: (n: Node) => void): void {
  visit(n);
  if (n.k === 'group') walk(n.alt, visit);
  else if (n.k === 'quant') walkNode(n.node, visit);
  else if (n.k === 'cond') { walk(n.yes, visit); walk(n.no, visit); }
}
