/**
 * Parser for Python's regex dialect (the `re` module fail2ban filters are
 * written in). Flags are applied while parsing: `(?i)` turns letters into
 * two-case classes (so the JavaScript regex needs no `i` flag and stays
 * eligible for V8's linear-time engine), `(?s)` widens `.`, `(?x)` drops
 * whitespace and comments. Anything without a JavaScript equivalent raises
 * RegexSyntaxError naming the construct.
 */
import type { Alt, Node, ParsedRegex, Seq } from './pyregex-ast.js';
import { caseFoldedRanges, classLiteral, otherCase } from './pyregex-chars.js';


/** A construct the translator cannot handle, with its offset in the pattern. */
export class RegexSyntaxError extends Error {
  constructor(readonly construct: string, readonly offset: number) {
    super(`${construct} at offset ${offset}`);
  }
}

interface Flags { readonly i: boolean; readonly s: boolean; readonly x: boolean }

const SIMPLE_ESCAPES: Record<string, string> = { a: '\x07', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };
const CLASS_ESCAPES = new Set(['d', 'D', 's', 'S', 'w', 'W']);
const FLAG_LETTERS = /^[aiLmsux]+$/;

class Parser {
  private pos = 0;
  private groupCount = 0;
  /** Global flags found after the start (Python < 3.11 applied them to the whole pattern). */
  lateGlobal = '';
  multiline = false;

  constructor(private readonly src: string, private flags: Flags) {}

  parse(): ParsedRegex {
    const alt = this.alternation();
    if (this.pos < this.src.length) throw new RegexSyntaxError('unbalanced parenthesis ")"', this.pos);
    return { alt, multiline: this.multiline, groups: this.groupCount };
  }

  private peek(n = 0): string | undefined { return this.src[this.pos + n]; }

  private alternation(): Alt {
    const alt: Alt = [this.sequence()];
    while (this.peek() === '|') { this.pos++; alt.push(this.sequence()); }
    return alt;
  }

  private sequence(): Seq {
    const seq: Seq = [];
    for (;;) {
      const c = this.peek();
      if (c === undefined || c === '|' || c === ')') return seq;
      if (this.flags.x && this.skipVerbose()) continue;
      const atom = this.atom();
      if (atom === null) continue;
      seq.push(this.quantified(atom));
    }
  }

  private skipVerbose(): boolean {
    const c = this.peek();
    if (c === '#') {
      while (this.pos < this.src.length && this.src[this.pos] !== '\n') this.pos++;
      return true;
    }
    if (c !== undefined && /\s/.test(c)) { this.pos++; return true; }
    return false;
  }

  private quantified(atom: Node): Node {
    const start = this.pos;
    let min: number; let max: number;
    const c = this.peek();
    if (c === '*') { min = 0; max = Infinity; this.pos++; }
    else if (c === '+') { min = 1; max = Infinity; this.pos++; }
    else if (c === '?') { min = 0; max = 1; this.pos++; }
    else if (c === '{') {
      const m = /^\{(\d*)(,(\d*))?\}/.exec(this.src.slice(this.pos));
      if (!m || (m[1] === '' && m[2] === undefined)) return atom;
      min = m[1] === '' ? 0 : Number(m[1]);
      max = m[2] === undefined ? min : m[3] === '' ? Infinity : Number(m[3]);
      if (max < min) throw new RegexSyntaxError(`min repeat greater than max repeat "${m[0]}"`, start);
      this.pos += m[0].length;
    } else return atom;
    if (atom.k === 'anchor' || atom.k === 'quant') {
      throw new RegexSyntaxError(`nothing to repeat "${this.src.slice(start, this.pos)}"`, start);
    }
    let lazy = false; let possessive = false;
    if (this.peek() === '?') { lazy = true; this.pos++; }
    else if (this.peek() === '+') { possessive = true; this.pos++; }
    return { k: 'quant', node: atom, min, max, lazy, possessive };
  }

  private atom(): Node | null {
    const c = this.src[this.pos]!;
    const at = this.pos;
    this.pos++;
    switch (c) {
      case '(': return this.group(at);
      case '[': return this.charClass(at);
      case '.': return { k: 'set', src: this.flags.s ? '[\\s\\S]' : '[^\\n]' };
      case '^': return { k: 'anchor', which: '^' };
      case '$': return { k: 'anchor', which: '$' };
      case '\\': return this.escape(at);
      case '*': case '+': case '?':
        throw new RegexSyntaxError(`nothing to repeat "${c}"`, at);
      default: return this.char(c);
    }
  }

  private char(c: string): Node {
    if (this.flags.i && otherCase(c) !== null) return { k: 'char', c, ci: true };
    return { k: 'char', c, ci: false };
  }

  private escape(at: number): Node {
    const c = this.src[this.pos];
    if (c === undefined) throw new RegexSyntaxError('bad escape (end of pattern)', at);
    this.pos++;
    if (CLASS_ESCAPES.has(c)) return { k: 'set', src: `\\${c}` };
    if (c === 'b' || c === 'B' || c === 'A' || c === 'Z') return { k: 'anchor', which: `\\${c}` as '\\b' };
    if (c >= '1' && c <= '9') {
      const m = /^\d{0,2}/.exec(this.src.slice(this.pos))![0];
      if (c !== '0' && m.length === 2 && /^[0-7]{3}$/.test(c + m)) {
        this.pos += 2;
        return this.char(String.fromCharCode(parseInt(c + m, 8)));
      }
      const n = Number(c + m.slice(0, 1));
      if (m.length >= 1 && n <= this.groupCount) this.pos += 1;
      return { k: 'backref', ref: m.length >= 1 && n <= this.groupCount ? n : Number(c) };
    }
    const code = this.codeEscape(c, at);
    if (code !== null) return this.char(code);
    if (/[A-Za-z]/.test(c)) throw new RegexSyntaxError(`bad escape "\\${c}"`, at);
    return this.char(c);
  }

  /** `\n`, `\x41`, `\u0041`, `\0`…: the character, or null if `c` is no such escape. */
  private codeEscape(c: string, at: number): string | null {
    if (SIMPLE_ESCAPES[c] !== undefined) return SIMPLE_ESCAPES[c]!;
    const hex = (n: number): string => {
      const h = this.src.slice(this.pos, this.pos + n);
      if (!new RegExp(`^[0-9a-fA-F]{${n}}$`).test(h)) throw new RegexSyntaxError(`bad escape "\\${c}${h}"`, at);
      this.pos += n;
      return String.fromCodePoint(parseInt(h, 16));
    };
    if (c === 'x') return hex(2);
    if (c === 'u') return hex(4);
    if (c === 'U') return hex(8);
    if (c === '0') {
      const m = /^[0-7]{0,2}/.exec(this.src.slice(this.pos))![0];
      this.pos += m.length;
      return String.fromCharCode(parseInt(`0${m}`, 8));
    }
    if (c === 'N') throw new RegexSyntaxError('named Unicode escape "\\N{...}"', at);
    return null;
  }

  private charClass(at: number): Node {
    let src = '[';
    if (this.peek() === '^') { src += '^'; this.pos++; }
    let first = true;
    const ranges: Array<[string, string]> = [];
    for (;;) {
      const c = this.peek();
      if (c === undefined) throw new RegexSyntaxError('unterminated character set', at);
      if (c === ']' && !first) { this.pos++; break; }
      first = false;
      const lo = this.classAtom(at);
      if (lo.set !== undefined) { src += lo.set; continue; }
      if (this.peek() === '-' && this.peek(1) !== ']' && this.peek(1) !== undefined) {
        this.pos++;
        const hi = this.classAtom(at);
        if (hi.set !== undefined) throw new RegexSyntaxError(`bad character range ${lo.ch}-${hi.set}`, at);
        if (hi.ch! < lo.ch!) throw new RegexSyntaxError(`bad character range ${lo.ch}-${hi.ch}`, at);
        src += `${classLiteral(lo.ch!)}-${classLiteral(hi.ch!)}`;
        ranges.push([lo.ch!, hi.ch!]);
      } else {
        src += classLiteral(lo.ch!);
        ranges.push([lo.ch!, lo.ch!]);
      }
    }
    if (this.flags.i) src += caseFoldedRanges(ranges);
    return { k: 'set', src: `${src}]` };
  }

  private classAtom(at: number): { ch?: string; set?: string } {
    const c = this.src[this.pos]!;
    this.pos++;
    if (c !== '\\') return { ch: c };
    const e = this.src[this.pos];
    if (e === undefined) throw new RegexSyntaxError('bad escape (end of pattern)', at);
    this.pos++;
    if (CLASS_ESCAPES.has(e)) return { set: `\\${e}` };
    if (e === 'b') return { ch: '\b' };
    const code = this.codeEscape(e, at);
    if (code !== null) return { ch: code };
    if (/[A-Za-z0-9]/.test(e)) throw new RegexSyntaxError(`bad escape "\\${e}" in character set`, at);
    return { ch: e };
  }

  private group(at: number): Node | null {
    if (this.peek() !== '?') return this.body(at, { k: 'group', kind: 'cap', num: ++this.groupCount, alt: [] });
    this.pos++;
    const rest = this.src.slice(this.pos);
    let m: RegExpExecArray | null;
    if ((m = /^P<([A-Za-z_]\w*)>/.exec(rest))) {
      this.pos += m[0].length;
      return this.body(at, { k: 'group', kind: 'cap', name: m[1]!, num: ++this.groupCount, alt: [] });
    }
    if ((m = /^P=([A-Za-z_]\w*)\)/.exec(rest))) { this.pos += m[0].length; return { k: 'backref', ref: m[1]! }; }
    if (rest.startsWith(':')) { this.pos++; return this.body(at, { k: 'group', kind: 'nocap', alt: [] }); }
    if ((m = /^(=|!|<=|<!)/.exec(rest))) {
      this.pos += m[0].length;
      return this.body(at, { k: 'group', kind: 'look', look: m[1] as '=', alt: [] });
    }
    if (rest.startsWith('>')) { this.pos++; return this.body(at, { k: 'group', kind: 'atomic', alt: [] }); }
    if (rest.startsWith('#')) {
      const end = this.src.indexOf(')', this.pos);
      if (end < 0) throw new RegexSyntaxError('missing ")", unterminated comment', at);
      this.pos = end + 1;
      return null;
    }
    if ((m = /^\((\d+|[A-Za-z_]\w*)\)/.exec(rest))) {
      this.pos += m[0].length;
      const ref = /^\d+$/.test(m[1]!) ? Number(m[1]) : m[1]!;
      const yes = this.sequence();
      let no: Seq = [];
      if (this.peek() === '|') { this.pos++; no = this.sequence(); }
      if (this.peek() === '|') throw new RegexSyntaxError('conditional group with more than two branches', at);
      this.expect(')', at);
      return { k: 'cond', ref, yes: [yes], no: [no] };
    }
    if ((m = /^([aiLmsux]*)(?:-([imsx]+))?(:|\))/.exec(rest))) {
      this.pos += m[0].length;
      const [, on = '', off = '', end] = m;
      if (on.includes('m') && end === ':') throw new RegexSyntaxError('scoped multi-line flag "(?m:...)"', at);
      if (end === ')') {
        if (off) throw new RegexSyntaxError(`global flags cannot be turned off "(?-${off})"`, at);
        if (!FLAG_LETTERS.test(on)) throw new RegexSyntaxError('empty flag group "(?)"', at);
        if (at !== 0 && (on.includes('i') && !this.flags.i || on.includes('s') && !this.flags.s || on.includes('x') && !this.flags.x)) {
          this.lateGlobal += on;
        }
        this.applyFlags(on, '');
        return null;
      }
      const saved = this.flags;
      this.applyFlags(on, off);
      const node = this.body(at, { k: 'group', kind: 'nocap', alt: [] });
      this.flags = saved;
      return node;
    }
    if (rest.startsWith('P>') || rest.startsWith('&') || rest.startsWith('R')) {
      throw new RegexSyntaxError(`recursion "(?${rest.slice(0, 2)}"`, at);
    }
    throw new RegexSyntaxError(`unknown extension "(?${rest.slice(0, 1)}"`, at);
  }

  private applyFlags(on: string, off: string): void {
    if (on.includes('m')) this.multiline = true;
    this.flags = {
      i: (this.flags.i || on.includes('i')) && !off.includes('i'),
      s: (this.flags.s || on.includes('s')) && !off.includes('s'),
      x: (this.flags.x || on.includes('x')) && !off.includes('x'),
    };
  }

  private body(at: number, g: Extract<Node, { k: 'group' }>): Node {
    g.alt = this.alternation();
    this.expect(')', at);
    return g;
  }

  private expect(c: string, at: number): void {
    if (this.peek() !== c) throw new RegexSyntaxError('missing ")", unterminated subpattern', at);
    this.pos++;
  }
}

/**
 * Parses a Python pattern. `multiline` is fail2ban's re.MULTILINE for
 * multi-line filters. fail2ban's own rewrite of `((?i)x)` and `(?:(?i)x)` into
 * the scoped `(?i:x)` is applied first.
 */
export function parsePython(pattern: string, multiline = false): ParsedRegex {
  const scoped = pattern.replace(/(?<!\\)\((?:\?:)?(\(\?[a-z]+)\)/g, '$1:');
  const first = new Parser(scoped, { i: false, s: false, x: false });
  first.multiline = multiline;
  const parsed = first.parse();
  if (first.lateGlobal === '') return parsed;
  // Flags written after the start applied to the whole pattern in Python < 3.11.
  const again = new Parser(scoped, { i: first.lateGlobal.includes('i'), s: first.lateGlobal.includes('s'), x: first.lateGlobal.includes('x') });
  again.multiline = multiline;
  return again.parse();
}
