/**
 * ignoreip and ignoreself: addresses, CIDR prefixes and host names that are
 * never banned, plus the host's own addresses. A failure for a prefix
 * (`203.0.113.0/24`) is ignored when the prefix overlaps an ignored range,
 * so banning it could never hit an ignored address. Host names are looked
 * up through an injected resolver.
 */
import { networkInterfaces } from 'node:os';
import { ConfigError, type ConfigPosition } from '../core/errors.js';
import { canonicalText } from '../core/address.js';
import { netOf, netsOverlap, netText, type Net } from '../core/prefix.js';

/** One ignoreip word: a network (single addresses are /32 or /128) or a host name. */
export type IgnoreEntry =
  | { readonly kind: 'net'; readonly net: Net }
  | { readonly kind: 'name'; readonly name: string };

const HOST_NAME = /^(?=.{1,253}$)[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?(?:\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?)*\.?$/i;
/** An address or prefix in text form as a network (the one address parser), or null when it is neither. */
export function parseNet(text: string): Net | null {
  const canon = canonicalText(text);
  return canon === null ? null : netOf(canon);
}

/** Warnings about ignoreip words that are valid but almost surely a mistake (`0.0.0.0/0`: the jail never bans). */
export function ignoreWarnings(jail: string, words: readonly string[]): string[] {
  return words.flatMap((w) => {
    const net = parseNet(w);
    if (net === null || net.bits !== 0) return [];
    return [`[${jail}] ignoreip = ${w} ignores every ${net.v6 ? 'IPv6' : 'IPv4'} address: this jail never bans one`];
  });
}

/** Checks one ignoreip word; `pos` names the ignoreip setting. */
export function parseIgnoreEntry(word: string, pos: ConfigPosition): IgnoreEntry {
  const net = parseNet(word);
  if (net) return { kind: 'net', net };
  if (HOST_NAME.test(word) && !/^[\d.]+$/.test(word)) return { kind: 'name', name: word.toLowerCase() };
  throw new ConfigError(pos, `${JSON.stringify(word)} is not an address, a CIDR prefix or a host name`);
}

/** Resolves a host name to addresses (e.g. dns.promises.lookup with all: true). */
export type NameResolver = (name: string) => Promise<readonly string[]>;

/** This host's addresses as they are now (they change while the daemon runs). */
export interface HostAddressSource {
  nets(): readonly Net[];
}

/** The ignore list of one jail. */
export class IgnoreList {
  private readonly nets: Net[] = [];
  private readonly own: HostAddressSource | null;
  private readonly resolvedNets = new Map<string, Net[]>();
  /** Host names that are in the list (resolved or not). */
  readonly names: readonly string[];

  /** `ownAddresses`: fixed addresses, or a live source consulted on every check. */
  constructor(entries: readonly IgnoreEntry[], ownAddresses: readonly string[] | HostAddressSource) {
    const names: string[] = [];
    for (const e of entries) {
      if (e.kind === 'net') this.nets.push(e.net);
      else names.push(e.name);
    }
    const fixed = Array.isArray(ownAddresses) ? ownAddresses as readonly string[] : [];
    this.own = Array.isArray(ownAddresses) ? null : ownAddresses as HostAddressSource;
    for (const own of fixed) {
      const net = parseNet(own.replace(/%.*$/, ''));
      if (net) this.nets.push(net);
    }
    this.names = names;
  }

  /** Looks the host names up with `resolve`; a name that fails keeps matching nothing. Returns the names that failed. */
  async resolveNames(resolve: NameResolver): Promise<string[]> {
    const failed: string[] = [];
    await Promise.all(this.names.map(async (name) => {
      try {
        const nets = (await resolve(name)).map((a) => parseNet(a)).filter((n) => n !== null);
        this.resolvedNets.set(name, nets);
      } catch {
        failed.push(name);
      }
    }));
    return failed;
  }

  /** The ignored networks (canonical texts) that share an address with `addr` (an address or a prefix). */
  overlapping(addr: string): string[] {
    const net = parseNet(addr);
    if (!net) return [];
    return [...this.nets, ...(this.own?.nets() ?? []), ...[...this.resolvedNets.values()].flat()].filter((n) => netsOverlap(n, net)).map(netText);
  }

  /**
   * True when `addr` (a canonical address or prefix, as the filter gives it) must not be banned.
   * One scan of the text, none when the caller has parsed it already (`net`: netOf of `addr`):
   * canonical input needs no second canonicalisation (parseNet), and this runs for every failure line.
   */
  has(addr: string, net: Net | null = netOf(addr)): boolean {
    if (!net) return false;
    if (this.nets.some((n) => netsOverlap(n, net))) return true;
    if (this.own?.nets().some((n) => netsOverlap(n, net))) return true;
    for (const nets of this.resolvedNets.values()) if (nets.some((n) => netsOverlap(n, net))) return true;
    return false;
  }
}

/** Every address of this host's interfaces (for ignoreself), without zone suffixes. */
export function hostAddresses(): string[] {
  return Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((i) => i.address.replace(/%.*$/, '')));
}
