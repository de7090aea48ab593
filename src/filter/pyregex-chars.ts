/**
 * Character-level helpers of the Python → JavaScript regex translation:
 * escaping literals inside and outside classes, and case folding of class
 * ranges for `(?i)` (done in the pattern, not with the `i` flag).
 */

const JS_SPECIAL = new Set([...'\\^$.|?*+()[]{}/']);

/** Escapes one character for a JavaScript pattern outside a class. */
export function jsLiteral(c: string): string {
  return JS_SPECIAL.has(c) ? `\\${c}` : c === '\n' ? '\\n' : c === '\r' ? '\\r' : c === '\t' ? '\\t' : c;
}

/** Escapes one character inside a JavaScript character class. */
export function classLiteral(c: string): string {
  return c === '\\' || c === ']' || c === '[' || c === '^' || c === '-' ? `\\${c}`
    : c === '\n' ? '\\n' : c === '\r' ? '\\r' : c === '\t' ? '\\t' : c;
}

/** The other case of a letter, or null. */
export function otherCase(c: string): string | null {
  const lo = c.toLowerCase();
  const up = c.toUpperCase();
  if (lo === up || lo.length !== 1 || up.length !== 1) return null;
  return c === lo ? up : lo;
}

/** The other-case counterparts of the ASCII letters inside `ranges`, as class items. */
export function caseFoldedRanges(ranges: Array<[string, string]>): string {
  let out = '';
  for (const [lo, hi] of ranges) {
    for (const [a, z, shift] of [['a', 'z', -32], ['A', 'Z', 32]] as const) {
      const from = lo > a ? lo : a;
      const to = hi < z ? hi : z;
      if (from > to) continue;
      const f = String.fromCharCode(from.charCodeAt(0) + shift);
      const t = String.fromCharCode(to.charCodeAt(0) + shift);
      out += f === t ? f : `${f}-${t}`;
    }
    if (lo === hi && lo.charCodeAt(0) > 127) {
      const o = otherCase(lo);
      if (o !== null) out += classLiteral(o);
    }
  }
  return out;
}

