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

/** The eight hextets of an IPv6 text (with an optional dotted IPv4 tail), or null. */
function v6Hextets(text: string): number[] | null {
  const dbl = text.indexOf('::');
  if (dbl >= 0 && text.indexOf('::', dbl + 1) >= 0) return null;
  const parse = (part: string): number[] | null => {
    if (part === '') return [];
    const out: number[] = [];
    const pieces = part.split(':');
    for (let i = 0; i < pieces.length; i++) {
      const p = pieces[i]!;
      if (i === pieces.length - 1 && p.includes('.')) {
        const o = v4Octets(p);
        if (o === null) return null;
        out.push((o[0]! << 8) | o[1]!, (o[2]! << 8) | o[3]!);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(p)) out.push(parseInt(p, 16));
      else return null;
    }
    return out;
  };
  if (dbl < 0) {
    const all = parse(text);
    return all !== null && all.length === 8 ? all : null;
  }
  const head = parse(text.slice(0, dbl));
  const tail = parse(text.slice(dbl + 2));
  if (head === null || tail === null || head.length + tail.length > 7) return null;
  return [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
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
