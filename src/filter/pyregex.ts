/**
 * Python regex (fail2ban's dialect) → JavaScript RegExp source. Named groups
 * `(?P<n>…)`, `(?P=n)`, inline and scoped flags, `\A`/`\Z`, `{,n}`, `]` first
 * in a set, atomic groups and possessive quantifiers (emulated with a
 * lookahead and a back-reference) and conditional groups (expanded) are
 * translated; what has no equivalent raises RegexSyntaxError.
 */
import { walk, type Alt, type Node } from './pyregex-ast.js';
import { expandConditionals } from './pyregex-cond.js';
import { jsLiteral, parsePython, RegexSyntaxError } from './pyregex-parse.js';

/** A translated pattern. */
export interface Translated {
  /** JavaScript RegExp source. */
  readonly source: string;
  /** JavaScript flags (`m` for multi-line filters, never `i`: case is folded into classes). */
  readonly flags: string;
  /** Group names added by the translation mapped to the name they stand for (`user__c1` → `user`). */
  readonly aliases: ReadonlyMap<string, string>;
  /** The syntax tree after translation (used to derive the literal prefilter). */
  readonly tree: Alt;
}

class Emitter {
  private atomic = 0;
  constructor(private readonly multiline: boolean, private readonly numbered: ReadonlyMap<number, string>) {}

  alt(alt: Alt): string {
    return alt.map((seq) => seq.map((n) => this.node(n)).join('')).join('|');
  }

  node(n: Node): string {
    switch (n.k) {
      case 'char': return n.ci ? `[${n.c}${n.c === n.c.toLowerCase() ? n.c.toUpperCase() : n.c.toLowerCase()}]` : jsLiteral(n.c);
      case 'set': return n.src;
      case 'anchor':
        if (n.which === '\\A') return this.multiline ? '(?<![\\s\\S])' : '^';
        if (n.which === '\\Z') return this.multiline ? '(?![\\s\\S])' : '$';
        return n.which;
      case 'backref': {
        const name = typeof n.ref === 'string' ? n.ref : this.numbered.get(n.ref);
        if (name === undefined) throw new RegexSyntaxError(`back-reference to unknown group ${n.ref}`, 0);
        return `\\k<${name}>`;
      }
      case 'group': {
        const body = this.alt(n.alt);
        if (n.kind === 'cap') {
          const name = n.name ?? this.numbered.get(n.num!);
          return name === undefined ? `(${body})` : `(?<${name}>${body})`;
        }
        if (n.kind === 'look') return `(?${n.look}${body})`;
        if (n.kind === 'atomic') return this.atomicOf(body);
        return `(?:${body})`;
      }
      case 'quant': {
        const inner = this.node(n.node);
        const atom = n.node.k === 'char' || n.node.k === 'set' || n.node.k === 'group' || n.node.k === 'backref' ? inner : `(?:${inner})`;
        const q = n.min === 0 && n.max === Infinity ? '*' : n.min === 1 && n.max === Infinity ? '+'
          : n.min === 0 && n.max === 1 ? '?' : n.max === Infinity ? `{${n.min},}` : n.min === n.max ? `{${n.min}}` : `{${n.min},${n.max}}`;
        if (n.possessive) return this.atomicOf(`${atom}${q}`);
        return `${atom}${q}${n.lazy ? '?' : ''}`;
      }
      case 'cond': throw new RegexSyntaxError('conditional group left after expansion', 0);
    }
  }

  /** `(?>x)` as `(?=(?<__aN>x))\k<__aN>`: the lookahead cannot be backtracked into. */
  private atomicOf(body: string): string {
    const name = `__a${++this.atomic}`;
    return `(?=(?<${name}>${body}))\\k<${name}>`;
  }
}

/** Translates a Python pattern; `multiline` is fail2ban's re.MULTILINE (maxlines > 1). */
export function translatePython(pattern: string, multiline = false): Translated {
  const parsed = parsePython(pattern, multiline);
  const numbered = new Map<number, string>();
  const byNum = new Map<number, string | undefined>();
  walk(parsed.alt, (n) => { if (n.k === 'group' && n.kind === 'cap') byNum.set(n.num!, n.name); });
  walk(parsed.alt, (n) => {
    if ((n.k === 'backref' || n.k === 'cond') && typeof n.ref === 'number') {
      if (!byNum.has(n.ref)) throw new RegexSyntaxError(`reference to unknown group ${n.ref}`, 0);
      const name = byNum.get(n.ref) ?? `__g${n.ref}`;
      numbered.set(n.ref, name);
      n.ref = name;
    }
  });
  walk(parsed.alt, (n) => {
    if (n.k === 'group' && n.kind === 'cap' && n.name === undefined && numbered.has(n.num!)) n.name = numbered.get(n.num!)!;
  });
  const aliases = new Map<string, string>();
  expandConditionals(parsed.alt, aliases, numbered);
  const source = new Emitter(parsed.multiline, numbered).alt(parsed.alt);
  return { source, flags: parsed.multiline ? 'm' : '', aliases, tree: parsed.alt };
}
