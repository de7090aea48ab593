/**
 * Expansion of Python's conditional groups `(?(g)yes|no)`, which JavaScript
 * lacks (and cannot emulate with back-references: an unset group and an empty
 * one look alike there). The sequence holding the definition of `g` is split
 * from that point to its end into two variants, one where `g` took part (the
 * condition becomes `yes`) and one where it did not (`no`). Capturing groups
 * in the second variant are renamed `name__cN`; `aliases` maps them back.
 */
import { walk, type Alt, type CondNode, type GroupNode, type Node, type Seq } from './pyregex-ast.js';
import { RegexSyntaxError } from './pyregex-parse.js';

/** One step down the tree: branch `b`, element `i` of an alternation. */
interface Step { readonly alt: Alt; readonly b: number; readonly i: number }

/** Children alternations of a node (a quantifier's atom counts as a one-element alternation). */
function childAlts(n: Node): Alt[] {
  if (n.k === 'group') return [n.alt];
  if (n.k === 'quant') return [[[n.node]]];
  if (n.k === 'cond') return [n.yes, n.no];
  return [];
}

function pathTo(alt: Alt, target: Node): Step[] | null {
  for (let b = 0; b < alt.length; b++) {
    const seq = alt[b]!;
    for (let i = 0; i < seq.length; i++) {
      const n = seq[i]!;
      if (n === target) return [{ alt, b, i }];
      for (const child of childAlts(n)) {
        const sub = pathTo(child, target);
        if (sub) return [{ alt, b, i }, ...sub];
      }
    }
  }
  return null;
}

function isDef(n: Node, ref: string | number): boolean {
  return n.k === 'group' && n.kind === 'cap' && (n.name === ref || n.num === ref);
}

function contains(n: Node, pred: (x: Node) => boolean): boolean {
  let found = false;
  walk([[n]], (x) => { if (pred(x)) found = true; });
  return found;
}

/** `n` restricted to the runs where group `ref` took part (`present`) or not; null if impossible. */
function force(n: Node, ref: string | number, present: boolean, at: number): Node | null {
  if (isDef(n, ref)) return present ? n : null;
  if (!contains(n, (x) => isDef(x, ref))) return n;
  if (n.k === 'group') {
    if (n.kind === 'look') throw new RegexSyntaxError(`conditional on group ${ref} defined inside a lookaround`, at);
    const alt = forceAlt(n.alt, ref, present, at);
    return alt === null ? null : { ...n, alt };
  }
  if (n.k === 'quant') {
    if (n.min === 1 && n.max === 1) return force(n.node, ref, present, at);
    if (n.min !== 0 || n.max !== 1) {
      throw new RegexSyntaxError(`conditional on group ${ref} defined inside a repetition`, at);
    }
    const inner = force(n.node, ref, present, at);
    if (present) return inner;
    return inner === null ? { k: 'group', kind: 'nocap', alt: [[]] } : { ...n, node: inner };
  }
  throw new RegexSyntaxError(`conditional on group ${ref} defined inside another conditional`, at);
}

function forceAlt(alt: Alt, ref: string | number, present: boolean, at: number): Alt | null {
  const out: Alt = [];
  for (const seq of alt) {
    const k = seq.findIndex((x) => contains(x, (y) => isDef(y, ref)));
    if (k < 0) { if (!present) out.push(seq); continue; }
    const forced = force(seq[k]!, ref, present, at);
    if (forced !== null) out.push([...seq.slice(0, k), forced, ...seq.slice(k + 1)]);
  }
  return out.length ? out : null;
}

/** A deep copy of `seq` with the conditional `cond` replaced by its chosen branch. */
function resolveCond(seq: Seq, cond: CondNode, branch: 'yes' | 'no'): Seq {
  const copyAlt = (alt: Alt): Alt => alt.map((s) => s.map(copy));
  const copy = (n: Node): Node => {
    if (n === cond) return { k: 'group', kind: 'nocap', alt: copyAlt(cond[branch]) };
    if (n.k === 'group') return { ...n, alt: copyAlt(n.alt) };
    if (n.k === 'quant') return { ...n, node: copy(n.node) };
    if (n.k === 'cond') return { ...n, yes: copyAlt(n.yes), no: copyAlt(n.no) };
    return { ...n };
  };
  return seq.map(copy);
}

/** Renames every named capture in `seq` (and references to them) with `suffix`. */
function renameGroups(seq: Seq, suffix: string, aliases: Map<string, string>, numbered: Map<number, string>): void {
  const renamed = new Map<string | number, string>();
  walk([seq], (n) => {
    if (n.k !== 'group' || n.kind !== 'cap') return;
    const base = n.name ?? numbered.get(n.num!);
    if (base === undefined) return;
    const name = `${base}${suffix}`;
    renamed.set(n.name ?? n.num!, name);
    if (n.num !== undefined) renamed.set(n.num, name);
    aliases.set(name, aliases.get(base) ?? base);
    n.name = name;
  });
  walk([seq], (n) => {
    if ((n.k === 'backref' || n.k === 'cond') && renamed.has(n.ref)) n.ref = renamed.get(n.ref)!;
  });
}

/**
 * Removes every conditional from `root` (in place). `numbered` names the
 * unnamed groups that back-references or conditionals use by number.
 */
export function expandConditionals(root: Alt, aliases: Map<string, string>, numbered: Map<number, string>): void {
  for (let round = 1; ; round++) {
    let cond: CondNode | null = null;
    walk(root, (n) => { if (cond === null && n.k === 'cond') cond = n; });
    if (cond === null) return;
    const c: CondNode = cond;
    let def: GroupNode | null = null;
    walk(root, (n) => { if (def === null && isDef(n, c.ref)) def = n as GroupNode; });
    if (def === null) throw new RegexSyntaxError(`conditional on unknown group ${c.ref}`, 0);
    if (round > 16) throw new RegexSyntaxError('more than 16 conditional groups', 0);
    const pc = pathTo(root, c)!;
    const pd = pathTo(root, def)!;
    let k = 0;
    while (k < pc.length && k < pd.length && pc[k]!.alt === pd[k]!.alt && pc[k]!.b === pd[k]!.b && pc[k]!.i === pd[k]!.i) k++;
    const sc = pc[k]; const sd = pd[k];
    if (sc === undefined || sd === undefined) throw new RegexSyntaxError(`conditional inside group ${c.ref} it tests`, 0);
    const seq = sc.alt[sc.b]!;
    if (sc.alt !== sd.alt || sc.b !== sd.b || sd.i > sc.i) {
      // The group cannot have taken part on this path: the condition is always false.
      const holder = pc.at(-1)!;
      holder.alt[holder.b]![holder.i] = { k: 'group', kind: 'nocap', alt: c.no };
      continue;
    }
    const tail = seq.slice(sd.i);
    const ref = c.ref;
    const variants: Seq[] = [];
    for (const present of [true, false]) {
      const forced = force(tail[0]!, ref, present, 0);
      if (forced === null) continue;
      const v = resolveCond([forced, ...tail.slice(1)], c, present ? 'yes' : 'no');
      if (variants.length) renameGroups(v, `__c${round}`, aliases, numbered);
      variants.push(v);
    }
    seq.splice(sd.i, tail.length, { k: 'group', kind: 'nocap', alt: variants });
  }
}
