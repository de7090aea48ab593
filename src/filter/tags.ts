/**
 * fail2ban's tags inside failregex/prefregex/ignoreregex: `<HOST>`, `<ADDR>`,
 * `<IP4>`, `<IP6>`, `<DNS>`, `<CIDR>`, `<SUBNET>`, `<F-ID/>`, `<F-PORT/>`,
 * `<SKIPLINES>` and the custom captures `<F-NAME>…</F-NAME>` (stored under
 * the lower-cased name; `F-ID` → `fid`, `F-PORT` → `fport`). The regexes are
 * fail2ban's (facts of the format) in our own spelling; the IPv6 one drops
 * fail2ban's redundant `(?<=:)` lookbehind and its `{1,7}` group count (V8's
 * linear-time engine refuses nested counted repetition that large) so a
 * `<HOST>` regex stays eligible for that engine; over-long IPv6 text is then
 * refused by the address check instead of being matched in part.
 */

const IP4 = String.raw`(?:::f{4,6}:)?(?P<ip4>(?:\d{1,3}\.){3}\d{1,3})`;
const IP6 = String.raw`(?P<ip6>(?:[0-9a-fA-F]{1,4}::?|::)+(?:[0-9a-fA-F]{1,4}|:))`;
const DNS = String.raw`(?P<dns>[\w\-.^_]*\w)`;
const CIDR = String.raw`(?P<cidr>\d+)`;
const ADDR = String.raw`\[?(?:${IP4}|${IP6})\]?`;
const SUBNET = String.raw`\[?(?:${IP4}|${IP6})(?:/${CIDR})?\]?`;

const STATIC: Readonly<Record<string, string>> = {
  IP4, 'F-IP4/': IP4,
  IP6, 'F-IP6/': IP6,
  ADDR, 'F-ADDR/': ADDR,
  CIDR, 'F-CIDR/': CIDR,
  SUBNET, 'F-SUBNET/': SUBNET,
  DNS, 'F-DNS/': DNS,
  'F-ID/': String.raw`(?P<fid>\S+)`,
  'F-PORT/': String.raw`(?P<fport>\w+)`,
};

const GROUP_NAME: Readonly<Record<string, string>> = { id: 'fid', port: 'fport' };

/** fail2ban's `usedns` values, the one list (jail settings, `test-filter --usedns`). */
export const USEDNS_VALUES = ['yes', 'warn', 'no', 'raw'] as const;
/** How `<HOST>` is expanded and what host names are worth: `no` leaves host names out (fail2ban's `usedns`). */
export type UseDns = (typeof USEDNS_VALUES)[number];

/** True when `text` is one of the `usedns` values. */
export function isUseDns(text: string): text is UseDns {
  return (USEDNS_VALUES as readonly string[]).includes(text);
}

/** The regex group a `<F-NAME>` tag captures into. */
export function tagGroupName(tag: string): string {
  const lower = tag.toLowerCase();
  return GROUP_NAME[lower] ?? lower;
}

/** Replaces fail2ban's tags in `regex` with Python regex text (still to be translated). */
export function expandTags(regex: string, usedns: UseDns): string {
  const open = new Set<string>();
  let skip = 0;
  return regex.replace(/<\/?[\w-]+\/?>/g, (tag) => {
    const name = tag.slice(1, -1);
    if (name === 'HOST') return usedns === 'no' ? ADDR : `(?:${ADDR}|${DNS})`;
    if (name === 'SKIPLINES') return String.raw`\n(?P<skiplines${skip++}>(?:(?:.*\n)*?))`;
    const fixed = STATIC[name];
    if (fixed !== undefined) return fixed;
    const m = /^(\/?)F-([A-Z0-9_-]+)$/.exec(name);
    if (!m) return tag;
    const [, close, id] = m as unknown as [string, string, string];
    if (close) return open.has(id) ? ')' : tag;
    open.add(id);
    return `(?P<${tagGroupName(id)}>`;
  });
}
