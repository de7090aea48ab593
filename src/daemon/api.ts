/**
 * The daemon's in-process API: what the control socket server (src/control/)
 * calls for every client request. The daemon implements it (src/daemon/daemon.ts);
 * every method validates its input and throws ApiError with a stable code.
 * Times are ms since the epoch; `null` expiry = permanent.
 */
import { F2bError } from '../core/errors.js';
import type { ReconcileOptions } from '../fw/driver.js';
import type { Plan } from '../fw/plan.js';
import type { StoreHealth } from '../bans/store-overlay.js';
import type { BanRecord, HistoryEntry } from '../bans/records.js';

export type { BanRecord, HistoryEntry } from '../bans/records.js';
import type { FleetStatus } from '../fleet/member.js';

/** Stable codes an ApiError carries (the control protocol passes them on as `error.code`). */
export type ApiErrorCode = 'unknown-jail' | 'bad-address' | 'bad-key' | 'bad-value' | 'usage' | 'refused-address';

/** A request the daemon refuses; `code` is one of ApiErrorCode. */
export class ApiError extends F2bError {
  constructor(code: ApiErrorCode, message: string) {
    super(code, message);
  }
}

/** Overview: `f2b-fw status` (fail2ban-client: Number of jail / Jail list). */
export interface DaemonStatus {
  readonly jails: readonly string[];
  readonly pid: number;
  /** ms since the epoch when the daemon became ready. */
  readonly startedAt: number;
  /** Firewall backend name (`nftables`, `iptables-ipset`, `null`). */
  readonly backend: string;
  /** Bans currently in force, all jails. */
  readonly currentlyBanned: number;
  /** The ban database: ok, or degraded (refusing writes) with the bans only memory holds. */
  readonly store: StoreHealth;
  /** The fleet (docs/fleet.md), when `[Fleet]` is configured. */
  readonly fleet?: FleetStatus;
}

/** One jail: `f2b-fw status JAIL`, fail2ban-client's tree form. */
export interface JailStatus {
  readonly jail: string;
  readonly currentlyFailed: number;
  readonly totalFailed: number;
  /** Log paths the jail reads (or `journal`). */
  readonly files: readonly string[];
  readonly currentlyBanned: number;
  /** Bans since the daemon started (this jail). */
  readonly totalBanned: number;
  readonly bannedList: readonly string[];
  /** The jail's command and reporter actions: deliveries sent, failed (retried), dropped, queued. */
  readonly actions?: ReadonlyArray<{ readonly action: string; readonly sent: number; readonly failed: number; readonly dropped: number; readonly queued: number }>;
}

/** Result of `ban`. */
export interface BanResult {
  /** Newly banned. */
  readonly banned: readonly string[];
  /** Were already banned in this jail (see `refreshed` for what happened to each). */
  readonly already: readonly string[];
  /** Each already-banned address with its expiry now; `extended` false when the ban in force already lasted longer (or is permanent). */
  readonly refreshed: readonly { readonly addr: string; readonly expiresAt: number | null; readonly extended: boolean }[];
  /** With `partial`: the addresses refused (as given), each with why; the others were banned. */
  readonly refused?: readonly { readonly addr: string; readonly message: string }[];
}

/** Options of a manual ban. */
export interface BanOptions {
  /** Ban an ignored address or one of this host's own (never `/0` nor loopback). */
  readonly force?: boolean;
  /**
   * Check each address on its own (`f2b-fw ban --file`): a refused or malformed one is reported in
   * `refused` and the others are banned. Without it one refused address bans nothing.
   */
  readonly partial?: boolean;
}

/** Result of `unban`. */
export interface UnbanResult {
  /** `jail addr` pairs removed. */
  readonly unbanned: readonly { readonly jail: string; readonly addr: string }[];
  /** Addresses asked for that no jail (or not this jail) held. */
  readonly notBanned: readonly string[];
  /** Of those, the ones inside a banned prefix: which prefix (and jail) holds each. */
  readonly heldBy?: readonly { readonly addr: string; readonly jail: string; readonly prefix: string }[];
}

/** Result of `reload`. */
export interface ReloadResult {
  readonly added: readonly string[];
  readonly removed: readonly string[];
  /** Jails that stayed (their bans kept), reconfigured from the new files. */
  readonly kept: readonly string[];
  /** The kernel transaction that applied the difference. */
  readonly plan: Plan;
}

/** Keys `get`/`set` understand (fail2ban-client spellings). */
export type JailKey =
  | 'bantime' | 'findtime' | 'maxretry' | 'ignoreip' | 'logpath' | 'banned'
  | 'addignoreip' | 'delignoreip' | 'banip' | 'unbanip';

/** Value of a `get`: numbers in seconds (bantime null = permanent), lists for ignoreip/logpath/banned. */
export type JailValue = number | null | string | readonly string[];

/** The daemon, as the control server sees it. */
export interface DaemonApi {
  /** Overview without a jail, one jail's tree with it (ApiError unknown-jail). */
  status(): Promise<DaemonStatus>;
  status(jail: string): Promise<JailStatus>;
  /**
   * Bans addresses/prefixes in a jail now with the jail's bantime (store first, then kernel);
   * one already banned gets its timeout refreshed to the bantime when that is later.
   * Refuses (ApiError refused-address, nothing banned) `/0`, loopback, and without `force`
   * ignored addresses and the host's own.
   */
  ban(jail: string, addrs: readonly string[], options?: BanOptions): Promise<BanResult>;
  /** Unbans from one jail, or from every jail when `jail` is undefined; `'all'` empties the jail(s). */
  unban(jail: string | undefined, addrs: readonly string[] | 'all'): Promise<UnbanResult>;
  /** Bans in force: all, or those holding `addr` (an address matches the prefixes containing it). */
  banned(addr?: string): Promise<BanRecord[]>;
  /** Every recorded ban of an address (and of the prefixes that held it), newest first. */
  history(addr: string): Promise<HistoryEntry[]>;
  /** Re-reads the config; with `jail`, only that jail is re-read (it must still exist). */
  reload(jail?: string): Promise<ReloadResult>;
  /** Brings the kernel back in line with config + store (dryRun: plan only). */
  reconcile(opts: ReconcileOptions): Promise<Plan>;
  /** Reads one jail setting. */
  get(jail: string, key: JailKey): Promise<JailValue>;
  /**
   * Changes one jail setting at run time (not written to files); returns the new value.
   * bantime/findtime accept fail2ban durations (`10m`, `-1`); banip/unbanip take addresses
   * separated by spaces; addignoreip/delignoreip one address or prefix.
   */
  set(jail: string, key: JailKey, value: string): Promise<JailValue>;
  /** Stops the daemon cleanly (same as SIGTERM); resolves once the answer can still be sent. */
  stop(): Promise<void>;
}
