/**
 * Python regex (fail2ban's dialect) → JavaScript RegExp source. Named groups
 * `(?P<n>…)`, `(?P=n)`, inline and scoped flags, `\A`/`\Z`, `{,n}`, `]` first
 * in a set, atomic groups and possessive quantifiers (emulated with a
 * lookahead and a back-reference) and conditional groups (expanded) are
 * translated; what has no equivalent raises RegexSyntaxError.
 */
import { walk, type Alt, type Node } from './pyregex-ast.js';
import { expandConditionals } from './pyregex-cond.js';
import { jsLiteral } from './pyregex-chars.js';
import { parsePython, RegexSyntaxError } from './pyregex-parse.js';

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
  /** Capture name → JavaScript group number. */
  readonly index: ReadonlyMap<string, number>;
}

class Emitter {
  private atomic = 0;
  private caps = 0;
  /** Capture name → JavaScript group number (indexed mode). */
  readonly index = new Map<string, number>();

  /**
   * `indexed`: captures are emitted unnamed and found by number (a match then
   * has no `groups` object to build: measurably faster per line).
   */
  constructor(private readonly multiline: boolean, private readonly numbered: ReadonlyMap<number, string>, private readonly indexed: boolean) {}

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
        if (!this.indexed) return `\\k<${name}>`;
        const i = this.index.get(name);
        if (i === undefined) throw new RegexSyntaxError(`back-reference to group ${name} before it`, 0);
        return `(?:\\${i})`;
      }
      case 'group': {
        if (n.kind === 'cap') {
          const name = n.name ?? this.numbered.get(n.num!);
          const i = ++this.caps;
          if (name !== undefined) this.index.set(name, i);
          const body = this.alt(n.alt);
          return name === undefined || this.indexed ? `(${body})` : `(?<${name}>${body})`;
        }
        if (n.kind === 'atomic') return this.atomicOf(() => this.alt(n.alt));
        const body = this.alt(n.alt);
        if (n.kind === 'look') return `(?${n.look}${body})`;
        return `(?:${body})`;
      }
      case 'quant': {
        const q = n.min === 0 && n.max === Infinity ? '*' : n.min === 1 && n.max === Infinity ? '+'
          : n.min === 0 && n.max === 1 ? '?' : n.max === Infinity ? `{${n.min},}` : n.min === n.max ? `{${n.min}}` : `{${n.min},${n.max}}`;
        const atomOf = (): string => {
          const inner = this.node(n.node);
          return n.node.k === 'char' || n.node.k === 'set' || n.node.k === 'group' || n.node.k === 'backref' ? inner : `(?:${inner})`;
        };
        if (n.possessive) return this.atomicOf(() => `${atomOf()}${q}`);
        return `${atomOf()}${q}${n.lazy ? '?' : ''}`;
      }
      case 'cond': throw new RegexSyntaxError('conditional group left after expansion', 0);
    }
  }

  /** `(?>x)` as `(?=(x))\N`: the lookahead cannot be backtracked into. */
  private atomicOf(body: () => string): string {
    const i = ++this.caps;
    const name = `__a${++this.atomic}`;
    const inner = body();
    return this.indexed ? `(?=(${inner}))(?:\\${i})` : `(?=(?<${name}>${inner}))\\k<${name}>`;
  }
}

/**
 * Translates a Python pattern; `multiline` is fail2ban's re.MULTILINE
 * (maxlines > 1); `indexed` emits unnamed captures (see `Translated.index`).
 */
export function translatePython(pattern: string, multiline = false, indexed = false): Translated {
  const parsed = parsePython(pattern, multiline);
  const numbered = new Map<number, string>();
  const byNum = new Map<number, string | undefined>();
  const names = new Set<string>();
  walk(parsed.alt, (n) => {
    if (n.k !== 'group' || n.kind !== 'cap') return;
    byNum.set(n.num!, n.name);
    if (n.name === undefined) return;
    if (names.has(n.name)) throw new RegexSyntaxError(`redefinition of group name "${n.name}"`, 0);
    names.add(n.name);
  });
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
  const emitter = new Emitter(parsed.multiline, numbered, indexed);
  const source = emitter.alt(parsed.alt);
  return { source, flags: parsed.multiline ? 'm' : '', aliases, tree: parsed.alt, index: emitter.index };
}
