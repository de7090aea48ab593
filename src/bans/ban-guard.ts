/**
 * What a manual ban (`f2b-fw ban`, `set JAIL banip`) must never do: ban every
 * address (`0.0.0.0/0`, `::/0`) or loopback (on a `port = all` jail that
 * kills local TCP), whatever `--force` says; and what it only does with
 * `--force`: ban an address the jail ignores (ignoreip, ignoreself) or one of
 * this host's own addresses (the admin's own choice, made explicit).
 */
import { parseNet } from '../jail/ignore.js';
import { netsOverlap } from '../core/prefix.js';

/** Why a ban is refused. */
export type RefusalKind = 'everything' | 'loopback' | 'ignored' | 'own-address';

/** One refused address and why. */
export interface BanRefusal {
  readonly addr: string;
  readonly kind: RefusalKind;
  /** True when `--force` would allow it. */
  readonly forceable: boolean;
  readonly message: string;
}

/** What the guard checks an address against. */
export interface BanGuardContext {
  /** The jail's ignore list (ignoreip, and the host's addresses with ignoreself). */
  isIgnored(addr: string): boolean;
  /** True when `addr` (address or prefix) holds one of this host's addresses. */
  isOwn(addr: string): boolean;
}

const LOOPBACK = ['127.0.0.0/8', '::1/128', '::ffff:127.0.0.0/104'].map((t) => parseNet(t)!);

/** The refusal of one canonical address or prefix, or null when it may be banned (`force`: the admin insists). */
export function banRefusal(addr: string, ctx: BanGuardContext, force: boolean): BanRefusal | null {
  // A single address in canonical text (IPv4-mapped IPv6 is written as IPv4) is loopback by its text: no parse per address of a big `ban --file`.
  const net = addr.includes('/') ? parseNet(addr) : null;
  const loopback = net === null ? addr.startsWith('127.') || addr === '::1' : LOOPBACK.some((l) => netsOverlap(l, net));
  if (net && net.bits === 0) {
    return { addr, kind: 'everything', forceable: false, message: `${addr} is every address: a ban would cut this host off (refused, also with --force)` };
  }
  if (loopback) {
    return { addr, kind: 'loopback', forceable: false, message: `${addr} is or contains loopback: a ban would break local connections (refused, also with --force)` };
  }
  if (force) return null;
  if (ctx.isIgnored(addr)) {
    return { addr, kind: 'ignored', forceable: true, message: `${addr} is in the jail's ignoreip/ignoreself list (--force bans it anyway)` };
  }
  if (ctx.isOwn(addr)) {
    return { addr, kind: 'own-address', forceable: true, message: `${addr} is or contains an address of this host (--force bans it anyway)` };
  }
  return null;
}
