/**
 * A fleet member is not trusted blindly: every stream entry and every ban key
 * read from Redis is checked here before it can reach the ban manager. Field
 * count and sizes, operation, node and jail name syntax, the address (the
 * project's address parser, canonical text), prefix widths against
 * max_prefix_v4/v6, addresses that must never be banned (unspecified,
 * loopback, multicast, broadcast) and expiry sanity. The answer says why an
 * entry was refused, for one log line naming its stream ID.
 */
import { canonicalText } from '../core/address.js';
import { netOf, netsOverlap, type Net } from '../core/prefix.js';
import { FLEET_DEFAULTS } from '../core/defaults.js';
import { FLEET_NAME, type FleetEntry } from './protocol.js';

/** Limits from `[Fleet]`. */
export interface EntryLimits {
  readonly maxPrefixV4: number;
  readonly maxPrefixV6: number;
}

/** The outcome: an entry to apply, one already expired (ignored quietly), or a refusal with its reason. */
export type Checked =
  | { readonly kind: 'ok'; readonly entry: FleetEntry }
  | { readonly kind: 'expired' }
  | { readonly kind: 'refused'; readonly reason: string };

const FIELDS = ['op', 'jail', 'addr', 'expiresAt', 'node', 'reason', 'id'] as const;
/** More fields than this and the entry is refused unread (a member padding entries). */
const MAX_FIELDS = 16;
const ID = /^[A-Za-z0-9_.:/-]{1,128}$/;
/** Unspecified, loopback, multicast and broadcast ranges: a shared ban touching them is refused. */
const NEVER_BANNED: readonly { readonly net: Net; readonly what: string }[] = ([
  ['0.0.0.0/8', 'unspecified'], ['127.0.0.0/8', 'loopback'], ['224.0.0.0/4', 'multicast'], ['255.255.255.255', 'broadcast'],
  ['::', 'unspecified'], ['::1', 'loopback'], ['ff00::/8', 'multicast'],
] as const).map(([text, what]) => ({ net: netOf(canonicalText(text)!)!, what }));

function refused(reason: string): Checked {
  return { kind: 'refused', reason };
}

/** Checks the address and canonicalises it; a reason string when it is refused. */
function checkAddr(text: string, limits: EntryLimits): { addr: string } | string {
  const canon = canonicalText(text);
  const net = canon === null ? null : netOf(canon);
  if (canon === null || net === null) return `addr ${JSON.stringify(text.slice(0, 64))} is not an address or prefix`;
  const widest = net.v6 ? limits.maxPrefixV6 : limits.maxPrefixV4;
  if (net.bits < widest) return `prefix /${net.bits} is wider than max_prefix_${net.v6 ? 'v6' : 'v4'} = ${widest}`;
  const special = NEVER_BANNED.find((r) => netsOverlap(r.net, net));
  if (special) return `addr ${canon} is ${special.what}, never banned`;
  return { addr: canon };
}

/** Checks one entry's fields (from XREAD or a key's JSON) at `now` (ms). */
export function checkEntry(raw: unknown, limits: EntryLimits, now: number): Checked {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return refused('not a set of fields');
  const rec = raw as Record<string, unknown>;
  const names = Object.keys(rec);
  if (names.length > MAX_FIELDS) return refused(`${names.length} fields (at most ${MAX_FIELDS})`);
  const f: Record<string, string> = {};
  for (const name of FIELDS) {
    const v = rec[name];
    if (typeof v !== 'string') return refused(`field ${name} missing`);
    if (Buffer.byteLength(v) > FLEET_DEFAULTS.fieldBytes) return refused(`field ${name} is ${Buffer.byteLength(v)} bytes (at most ${FLEET_DEFAULTS.fieldBytes})`);
    f[name] = v;
  }
  const op = f.op!;
  if (op !== 'ban' && op !== 'unban') return refused(`op ${JSON.stringify(op)} is neither ban nor unban`);
  if (!FLEET_NAME.test(f.jail!)) return refused(`jail ${JSON.stringify(f.jail)} is not a jail name`);
  if (!FLEET_NAME.test(f.node!)) return refused(`node ${JSON.stringify(f.node)} is not a node name`);
  if (!ID.test(f.id!)) return refused(`id ${JSON.stringify(f.id)} is not a ban id`);
  const addr = checkAddr(f.addr!, limits);
  if (typeof addr === 'string') return refused(addr);
  let expiresAt: number | null = null;
  if (f.expiresAt !== 'never') {
    if (!/^\d{1,16}$/.test(f.expiresAt!)) return refused(`expiresAt ${JSON.stringify(f.expiresAt)} is not a time in ms or "never"`);
    expiresAt = Number(f.expiresAt);
    if (expiresAt > now + FLEET_DEFAULTS.maxTtlMs) return refused(`expiresAt ${expiresAt} is more than 10 years away`);
    if (op === 'ban' && expiresAt <= now) return { kind: 'expired' };
  }
  // Control characters in a reason would forge log lines; the reason is informative only.
  const reason = f.reason!.replace(/[\u0000-\u001f\u007f]/g, ' ').slice(0, FLEET_DEFAULTS.reasonChars);
  return { kind: 'ok', entry: { op, jail: f.jail!, addr: addr.addr, expiresAt, node: f.node!, reason, id: f.id! } };
}
