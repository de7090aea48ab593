/**
 * `name[k=v, k2="v, 2", k3='x']` as fail2ban writes filter and action
 * references in a jail (`filter = sshd[mode=aggressive]`,
 * `action = foo[port="22,80"] bar`). Values are bare (up to `,` or `]`) or
 * quoted with `"` or `'` (then they may hold `,` and `]`); several argument
 * groups `name[a=1][b=2]` are merged.
 */
import { ConfigError, type ConfigPosition } from '../core/errors.js';

/** A parsed reference: the name (or file path) and its arguments in order. */
export interface SpecWithArgs {
  readonly name: string;
  readonly args: ReadonlyMap<string, string>;
}

const ARG_NAME = /^[\w\-.]+/;

/** Parses one `name[args]` reference; `pos` locates errors. */
export function parseSpec(text: string, pos: ConfigPosition): SpecWithArgs {
  const t = text.trim();
  const open = t.indexOf('[');
  const name = (open < 0 ? t : t.slice(0, open)).trim();
  if (name === '') throw new ConfigError(pos, 'a name is missing before the [arguments]');
  const args = new Map<string, string>();
  if (open < 0) return { name, args };
  let i = open + 1;
  const fail = (why: string): never => {
    throw new ConfigError(pos, `${why} at character ${i + 1} of ${JSON.stringify(t)}`);
  };
  const skipSpace = (): void => { while (i < t.length && /\s/.test(t[i]!)) i++; };
  for (;;) {
    skipSpace();
    if (t[i] === ']') {
      i++;
      skipSpace();
      if (i >= t.length) break;
      if (t[i] !== '[') fail('unexpected text after ]');
      i++;
      continue;
    }
    const m = ARG_NAME.exec(t.slice(i));
    if (!m) fail('expected an argument name');
    const key = m![0];
    i += key.length;
    skipSpace();
    if (t[i] !== '=') fail(`expected '=' after argument ${key}`);
    i++;
    skipSpace();
    let value: string;
    const q = t[i];
    if (q === '"' || q === "'") {
      const end = t.indexOf(q, i + 1);
      if (end < 0) fail(`unterminated ${q}-quoted value of argument ${key}`);
      value = t.slice(i + 1, end);
      i = end + 1;
    } else {
      let end = i;
      while (end < t.length && t[end] !== ',' && t[end] !== ']') end++;
      value = t.slice(i, end).trim();
      i = end;
    }
    args.set(key, value);
    skipSpace();
    if (t[i] === ',') { i++; continue; }
    if (t[i] !== ']') fail(i >= t.length ? 'missing closing ]' : `expected ',' or ']' after argument ${key}`);
  }
  return { name, args };
}

/**
 * Splits a multi-reference value (`action = a[x=1]\n  b`) into single
 * references: whitespace separates them except inside `[...]` and quotes.
 */
export function splitSpecs(text: string): string[] {
  const out: string[] = [];
  let cur = '';
  let depth = 0;
  let quote: string | null = null;
  for (const ch of text) {
    if (quote) {
      if (ch === quote) quote = null;
    } else if (depth > 0 && (ch === '"' || ch === "'")) {
      quote = ch;
    } else if (ch === '[') {
      // `name [args]`: the group belongs to the name before the space.
      if (depth === 0 && cur === '' && out.length > 0) cur = out.pop()!;
      depth++;
    } else if (ch === ']') {
      depth = Math.max(0, depth - 1);
    } else if (depth === 0 && /\s/.test(ch)) {
      if (cur !== '') out.push(cur);
      cur = '';
      continue;
    }
    cur += ch;
  }
  if (cur !== '') out.push(cur);
  return out;
}
