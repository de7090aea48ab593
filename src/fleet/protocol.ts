/**
 * What fleet members write to Redis (docs/fleet.md): one key per shared ban,
 * `PREFIX ban:JAIL:ADDR`, holding the entry as JSON and expiring with the ban
 * (`PXAT`), and one stream, `PREFIX stream`, of entries with the fields
 * op, jail, addr, expiresAt, node, reason, id. A ban received from the fleet
 * is stored with the reason `fleet:NODE:JAIL`, which is how the daemon knows
 * its origin (never re-published, shown as `fleet:NODE`).
 */

/** Node and jail names on the wire: what a jail name may be locally (set names), 64 characters at most. */
export const FLEET_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/;

/** One change shared with the fleet. */
export interface FleetEntry {
  readonly op: 'ban' | 'unban';
  /** The jail on the publishing host. */
  readonly jail: string;
  /** Canonical address or prefix text. */
  readonly addr: string;
  /** ms since the epoch; null = permanent (meaningless for unban). */
  readonly expiresAt: number | null;
  /** The publishing host. */
  readonly node: string;
  readonly reason: string;
  /** Unique per change (with jail and addr): `NODE/BANNED_AT`. */
  readonly id: string;
}

/** The stream entry's fields (and the key's JSON value). */
export type EntryFields = Record<'op' | 'jail' | 'addr' | 'expiresAt' | 'node' | 'reason' | 'id', string>;

/** Redis names of one fleet. */
export interface FleetKeys {
  readonly stream: string;
  /** Pattern matching every ban key (SCAN MATCH). */
  readonly banPattern: string;
  ban(jail: string, addr: string): string;
}

/** Key names under `prefix`; `*?[]\` in addresses cannot occur (they are canonical). */
export function fleetKeys(prefix: string): FleetKeys {
  return {
    stream: `${prefix}stream`,
    banPattern: `${prefix}ban:*`,
    ban: (jail, addr) => `${prefix}ban:${jail}:${addr}`,
  };
}

/** The wire form of an entry. */
export function encodeEntry(e: FleetEntry): EntryFields {
  return {
    op: e.op, jail: e.jail, addr: e.addr, expiresAt: e.expiresAt === null ? 'never' : String(e.expiresAt),
    node: e.node, reason: e.reason, id: e.id,
  };
}

/** The store reason of a ban received from `node` for its jail `jail`. */
export function fleetReason(node: string, jail: string): string {
  return `fleet:${node}:${jail}`;
}

/** Where a stored ban came from: `{ node, jail }` for a fleet ban, null for a local one. */
export function fleetOrigin(reason: string): { readonly node: string; readonly jail: string } | null {
  const m = /^fleet:([^:]+):([^:]+)$/.exec(reason);
  return m ? { node: m[1]!, jail: m[2]! } : null;
}

/** Time part (ms) of a stream ID `MS-SEQ`; 0 for `0` or a malformed one. */
export function streamIdTime(id: string): number {
  const ms = Number(id.split('-')[0]);
  return Number.isFinite(ms) ? ms : 0;
}

/** Compares two stream IDs (`MS-SEQ`): negative when a < b. */
export function compareStreamIds(a: string, b: string): number {
  const [am = 0, as = 0] = a.split('-').map(Number);
  const [bm = 0, bs = 0] = b.split('-').map(Number);
  return am !== bm ? am - bm : as - bs;
}
