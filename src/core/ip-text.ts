/**
 * Address text ⟷ numbers, written once for every module that needs it (the
 * filter's hits, the nftables and ipset element keys): hand-written scanners
 * with no library call, because they run once per failure and once per ban
 * element. IPv4 is read as plain decimal (leading zeros are decimal, never
 * octal); IPv6 may end in a dotted IPv4 part; zones are refused.
 */

/** Four decimal octets (leading zeros read as decimal), or null. */
export function ipv4Octets(text: string): number[] | null {
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
      const o = ipv4Octets(text.slice(i - digits, to));
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
export function ipv6Hextets(text: string): number[] | null {
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
export function ipv6Text(h: readonly number[]): string {
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


/** Text of 4 or 16 address bytes in network order: dotted quad, or RFC 5952 IPv6 (as inet_ntop prints it). */
export function bytesText(b: Uint8Array): string {
  if (b.length === 4) return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
  const h: number[] = [];
  for (let i = 0; i < 16; i += 2) h.push((b[i]! << 8) | b[i + 1]!);
  return ipv6Text(h);
}
