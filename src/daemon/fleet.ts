/**
 * The daemon's side of the fleet (src/fleet/): the built-in jail for shared
 * bans of jails this host lacks (all ports, the configured hooks, [DEFAULT]'s
 * ignoreip), and the FleetHost the member applies received bans through: the
 * same ban manager as local bans, so store first, one transaction per tick.
 */
import type { LoadedConfig } from '../config/load.js';
import type { RawSection, Setting } from '../config/types.js';
import type { Clock } from '../core/clock.js';
import type { BanManager } from '../bans/manager.js';
import type { BanStore } from '../bans/store.js';
import { IgnoreList, parseIgnoreEntry } from '../jail/ignore.js';
import { parseBool } from '../jail/settings.js';
import type { FleetSettings } from '../fleet/config.js';
import type { FleetHost, ReceivedBan } from '../fleet/member.js';
import { fleetOrigin } from '../fleet/protocol.js';
import type { RuntimeJail } from './jails.js';
import { isEnabled } from './jails.js';

/** The name of the built-in fleet jail when the configuration has no enabled jail of that name; null otherwise. */
export function builtinFleetJail(loaded: LoadedConfig, fleet: FleetSettings | undefined): string | null {
  if (!fleet) return null;
  return loaded.jails.some((j) => j.name === fleet.jail && isEnabled(j)) ? null : fleet.jail;
}

/** The configuration with the built-in fleet jail added as an enabled `port = all` section (for the firewall layout). */
export function withFleetJail(loaded: LoadedConfig, fleet: FleetSettings | undefined): LoadedConfig {
  const name = builtinFleetJail(loaded, fleet);
  if (name === null) return loaded;
  const settings = new Map<string, Setting>(loaded.defaults.settings);
  const pos = { file: '(built-in fleet jail)', section: name };
  settings.set('enabled', { value: 'true', pos: { ...pos, key: 'enabled' } });
  settings.set('port', { value: 'all', pos: { ...pos, key: 'port' } });
  settings.set('protocol', { value: 'all', pos: { ...pos, key: 'protocol' } });
  const section: RawSection = { name, settings };
  return { ...loaded, jails: [...loaded.jails.filter((j) => j.name !== name), section] };
}

/** The ignore list of the built-in jail: [DEFAULT] ignoreip, plus own addresses unless ignoreself = false. */
export function fleetJailIgnore(loaded: LoadedConfig, ownAddresses: readonly string[]): IgnoreList {
  const ip = loaded.defaults.settings.get('ignoreip');
  const words = (ip?.value ?? '').split(/[\s,]+/).filter(Boolean);
  const entries = words.map((w) => parseIgnoreEntry(w, { ...ip!.pos, value: w }));
  const self = loaded.defaults.settings.get('ignoreself');
  return new IgnoreList(entries, self && !parseBool(self) ? [] : ownAddresses);
}

/** What the host glue reads from the running daemon. */
export interface FleetHostParts {
  readonly clock: Clock;
  readonly store: BanStore;
  readonly manager: BanManager;
  jails(): ReadonlyMap<string, RuntimeJail>;
  /** The built-in jail's name and ignore list (null when a configured jail receives shared bans). */
  builtin(): { readonly name: string; readonly ignore: IgnoreList } | null;
}

/** The FleetHost over the daemon's jails, store and manager. */
export function fleetHost(p: FleetHostParts): FleetHost {
  return {
    hasJail: (name) => p.jails().has(name),
    ignored: (jail, addr) => {
      const j = p.jails().get(jail);
      if (j) return j.jail.isIgnored(addr);
      const b = p.builtin();
      return b !== null && b.name === jail ? b.ignore.has(addr) : true;
    },
    ban: async (bans: readonly ReceivedBan[]) => {
      const now = p.clock.now();
      const applied = await Promise.all(bans.map((b) => p.manager.submit({
        op: 'ban', jail: b.jail, addr: b.addr, ttl: b.expiresAt === null ? null : (b.expiresAt - now) / 1000, reason: b.reason, matches: [],
      })));
      return applied.filter((a) => a.fresh).length;
    },
    unban: async (keys) => (await p.manager.unban(keys, 'fleet')).length,
    fleetBans: () => p.store.current(p.clock.now()).filter((b) => fleetOrigin(b.reason) !== null),
  };
}
