/**
 * Canonical address text for a filter hit: IPv4 in plain dotted decimal
 * (leading zeros read as decimal, never octal), IPv6 in RFC 5952 form,
 * IPv4-mapped IPv6 as IPv4, prefixes as `network/len` (`/32` and `/128`
 * dropped). Anything else is not an address: null. Hand-written parsing
 * (no allocation-heavy library calls): this runs once per failure.
 */

/** Four decimal octets (leading zeros read as decimal), or null. */
function v4Octets(text: string): number[] | null {
  const o = [0, 0, 0, 0];
  let k = 0;
  let digits = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || ++k > 3) return null;
      digits = 0;
    } else if (c >= 48 && c <= 57 && digits < 3) {
      o[k] = o[k]! * 10 + (c - 48);
      if (o[k]! > 255) return null;
      digits++;
    } else return null;
  }
  return k === 3 && digits > 0 ? o : null;
}

function v4Text(o: readonly number[], prefix: number): string {
  if (prefix >= 32) return `${o[0]}.${o[1]}.${o[2]}.${o[3]}`;
  const n = ((o[0]! << 24) | (o[1]! << 16) | (o[2]! << 8) | o[3]!) >>> 0;
  const masked = prefix === 0 ? 0 : (n & (~0 << (32 - prefix))) >>> 0;
  return `${[masked >>> 24, (masked >>> 16) & 255, (masked >>> 8) & 255, masked & 255].join('.')}/${prefix}`;
}

/** Appends the hextets of the `a:b:c` run text[from, to) (an IPv4 tail allowed at its end); false if malformed. */
function hextetRun(text: string, from: number, to: number, out: number[]): boolean {
  if (from === to) return true;
  let value = 0;
  let digits = 0;
  for (let i = from; i <= to; i++) {
    const c = i === to ? 58 : text.charCodeAt(i);
    if (c === 58) {
      if (digits === 0) return false;
      out.push(value);
      value = 0;
      digits = 0;
      continue;
    }
    const d = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : c === 46 ? -1 : -2;
    if (d === -2) return false;
    if (d === -1) {
      const o = v4Octets(text.slice(i - digits, to));
      if (o === null) return false;
      out.push((o[0]! << 8) | o[1]!, (o[2]! << 8) | o[3]!);
      return true;
    }
    if (++digits > 4) return false;
    value = value * 16 + d;
  }
  return true;
}

/** The eight hextets of an IPv6 text (with an optional dotted IPv4 tail), or null. */
function v6Hextets(text: string): number[] | null {
  const dbl = text.indexOf('::');
  if (dbl >= 0 && text.indexOf('::', dbl + 1) >= 0) return null;
  if (dbl < 0) {
    const all: number[] = [];
    return hextetRun(text, 0, text.length, all) && all.length === 8 ? all : null;
  }
  const head: number[] = [];
  const tail: number[] = [];
  if (text.lastIndexOf('.', dbl) >= 0) return null;
  if (!hextetRun(text, 0, dbl, head) || !hextetRun(text, dbl + 2, text.length, tail) || head.length + tail.length > 7) return null;
  while (head.length + tail.length < 8) head.push(0);
  return head.concat(tail);
}

/** RFC 5952 text of eight hextets: lower case, longest zero run (≥ 2) as `::`. */
function v6Text(h: readonly number[]): string {
  let best = -1; let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (h[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && h[j] === 0) j++;
    if (j - i > bestLen) { best = i; bestLen = j - i; }
    i = j;
  }
  const hex = (a: number, b: number): string => h.slice(a, b).map((x) => x.toString(16)).join(':');
  return best < 0 ? hex(0, 8) : `${hex(0, best)}::${hex(best + bestLen, 8)}`;
}

function maskV6(h: readonly number[], prefix: number): number[] {
  return h.map((x, i) => {
    const bits = Math.min(Math.max(prefix - i * 16, 0), 16);
    return bits === 0 ? 0 : x & (0xffff << (16 - bits)) & 0xffff;
  });
}

/**
 * Canonical text of `ip` (optionally with a prefix length `cidr`), or null if
 * `ip` is not a valid address or the prefix is out of range.
 */
export function canonicalAddress(ip: string, cidr?: string): string | null {
  const text = ip.startsWith('[') && ip.endsWith(']') ? ip.slice(1, -1) : ip;
  const o = v4Octets(text);
  if (o !== null) {
    const prefix = cidr === undefined ? 32 : Number(cidr);
    return Number.isInteger(prefix) && prefix >= 0 && prefix <= 32 ? v4Text(o, prefix) : null;
  }
  if (!text.includes(':')) return null;
  const h = v6Hextets(text);
  const prefix = cidr === undefined ? 128 : Number(cidr);
  if (h === null || !Number.isInteger(prefix) || prefix < 0 || prefix > 128) return null;
  const mapped = h[0] === 0 && h[1] === 0 && h[2] === 0 && h[3] === 0 && h[4] === 0 && h[5] === 0xffff;
  if (mapped && prefix >= 96) return v4Text([h[6]! >> 8, h[6]! & 255, h[7]! >> 8, h[7]! & 255], prefix - 96);
  if (prefix === 128) return v6Text(h);
  return `${v6Text(maskV6(h, prefix))}/${prefix}`;
}
