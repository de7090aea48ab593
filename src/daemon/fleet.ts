/**
 * The daemon's side of the fleet (src/fleet/): the built-in jail for shared
 * bans of jails this host lacks (all ports, the configured hooks, [DEFAULT]'s
 * ignoreip and ignoreself), the member built at boot, and the FleetHost it
 * applies received bans through: the same ban manager as local bans, so store
 * first, one transaction per tick, and the running generation's ignore lists.
 */
import type { LoadedConfig } from '../config/load.js';
import type { RawSection, Setting } from '../config/types.js';
import { systemTimers } from '../core/clock.js';
import type { BanStore } from '../bans/store.js';
import type { BanManager } from '../bans/manager.js';
import { Outbox } from '../outbox/outbox.js';
import { IgnoreList, parseIgnoreEntry, type HostAddressSource } from '../jail/ignore.js';
import { parseBool } from '../jail/settings.js';
import type { FleetSettings } from '../fleet/config.js';
import { FleetMember, type FleetHost, type ReceivedBan } from '../fleet/member.js';
import { fleetOrigin } from '../fleet/protocol.js';
import { sectionEnabled } from '../config/bool.js';
import type { DaemonDeps, FleetJail, JailSet, RunningJails } from './runtime.js';

/** The name of the built-in fleet jail when the configuration has no enabled jail of that name; null otherwise. */
function builtinName(loaded: LoadedConfig, fleet: FleetSettings | undefined): string | null {
  if (!fleet) return null;
  return loaded.jails.some((j) => j.name === fleet.jail && sectionEnabled(j)) ? null : fleet.jail;
}

/** The configuration with the built-in fleet jail added as an enabled `port = all` section (for the firewall layout). */
export function withFleetJail(loaded: LoadedConfig, fleet: FleetSettings | undefined): LoadedConfig {
  const name = builtinName(loaded, fleet);
  if (name === null) return loaded;
  const settings = new Map<string, Setting>(loaded.defaults.settings);
  const pos = { file: '(built-in fleet jail)', section: name };
  for (const [key, value] of [['enabled', 'true'], ['port', 'all'], ['protocol', 'all']] as const) settings.set(key, { value, pos: { ...pos, key } });
  const section: RawSection = { name, settings };
  return { ...loaded, jails: [...loaded.jails.filter((j) => j.name !== name), section] };
}

/** The built-in fleet jail of `loaded`: its name and ignore list ([DEFAULT] ignoreip, own addresses unless ignoreself = false). */
export function fleetJailOf(loaded: LoadedConfig, fleet: FleetSettings | undefined, ownAddresses: readonly string[] | HostAddressSource): FleetJail | null {
  const name = builtinName(loaded, fleet);
  if (name === null) return null;
  const ip = loaded.defaults.settings.get('ignoreip');
  const words = (ip?.value ?? '').split(/[\s,]+/).filter(Boolean);
  const entries = words.map((w) => parseIgnoreEntry(w, { ...ip!.pos, value: w }));
  const self = loaded.defaults.settings.get('ignoreself');
  return { name, ignore: new IgnoreList(entries, self && !parseBool(self) ? [] : ownAddresses) };
}

/** Jails that may hold bans in a generation: the configured ones and the built-in fleet jail. */
export function banJails(set: JailSet): string[] {
  return [...set.jails.keys(), ...(set.fleetJail ? [set.fleetJail.name] : [])];
}

/** What the member is built from at boot. */
export interface FleetParts {
  readonly deps: DaemonDeps;
  readonly store: BanStore;
  readonly manager: BanManager;
  readonly running: RunningJails;
}

/** The member of `fleet`, or null when `[Fleet]` is not configured. Not started yet. */
export async function createFleet(fleet: FleetSettings | undefined, p: FleetParts): Promise<FleetMember | null> {
  if (!fleet) return null;
  const { log, clock } = p.deps;
  const db = p.store.database;
  // Loaded here, not at the top: a daemon without [Fleet] never pays for the package (~40 MB of RSS).
  const { createClient } = await import('redis');
  return new FleetMember(fleet, {
    log, clock, timers: p.deps.timers ?? systemTimers, db, outbox: new Outbox(p.store, () => clock.now(), { log }), host: fleetHost(p), createClient,
  });
}

/** The FleetHost over the running jails, the store and the manager. */
function fleetHost(p: FleetParts): FleetHost {
  const { clock } = p.deps;
  return {
    hasJail: (name) => p.running.now.jails.has(name),
    ignored: (jail, addr) => {
      const j = p.running.now.jails.get(jail);
      if (j) return j.jail.isIgnored(addr);
      const b = p.running.now.fleetJail;
      return b === null || b.name !== jail || b.ignore.has(addr);
    },
    ban: async (bans: readonly ReceivedBan[]) => {
      const now = clock.now();
      const applied = await Promise.all(bans.map((b) => p.manager.submit({
        op: 'ban', jail: b.jail, addr: b.addr, ttl: b.expiresAt === null ? null : (b.expiresAt - now) / 1000, reason: b.reason, matches: [],
      })));
      return applied.filter((a) => a.fresh).length;
    },
    unban: async (keys) => (await p.manager.unban(keys, 'fleet')).length,
    fleetBans: () => p.store.current(clock.now()).filter((b) => fleetOrigin(b.reason) !== null),
  };
}
