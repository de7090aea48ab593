/**
 * The typed records that cross a pipeline boundary (see docs/ARCHITECTURE.md).
 * One type per boundary; every stage takes one of these in and hands one out.
 */

/** A raw line read from a log source, already capped in length. */
export interface Line {
  /** Where it came from: a file path, `journal`, or `stdin`. */
  readonly source: string;
  /** The text, without the trailing newline, at most `LIMITS.lineBytes` long. */
  readonly text: string;
  /** When the source read it (ms since the epoch, from the injected clock). */
  readonly readAt: number;
  /**
   * True when the source cut the line at LIMITS.lineBytes (the rest dropped). A cut
   * line never matches: its end, where the real address would be, is gone, and an
   * attacker-controlled field may then supply one.
   */
  readonly cut?: boolean;
}

/** A filter hit: one address failed once at one time in one jail. */
export interface Failure {
  readonly jail: string;
  /** Canonical address text (src/core/address.ts), or a CIDR prefix such as `203.0.113.0/24`. */
  readonly addr: string;
  /** Time of the failure from the log line's own date (ms since the epoch). */
  readonly time: number;
  /** The log lines that made this failure (several for multi-line filters). */
  readonly matches: readonly string[];
  /** Named captures (`user`, `id`, …) from `<F-…>` tags. */
  readonly fields: Readonly<Record<string, string>>;
}

/** What a jail wants done to the firewall. */
export interface Decision {
  readonly op: 'ban' | 'unban';
  readonly jail: string;
  /** Address or prefix, canonical text. */
  readonly addr: string;
  /** Ban length in seconds; `null` for a permanent ban; ignored for `unban`. */
  readonly ttl: number | null;
  /** Why: `maxretry reached`, `manual`, `recidive`, … */
  readonly reason: string;
  /** The log lines behind the decision (empty for manual bans). */
  readonly matches: readonly string[];
  /** For a prefix ban: how many addresses (or narrower prefixes) it was made of (`Ban 2001:db8:7::/64 (3 addresses)`). */
  readonly addresses?: number;
  /** A prefix ignoreip kept this decision from covering (the narrower `addr` is banned instead; the daemon logs it). */
  readonly refused?: string;
  /** Failures counted for the ban (actions' `<failures>`; default: the number of matches). */
  readonly failures?: number;
  /** The filter's captured fields of those failures, later ones winning (actions' `<F-USER>` …). */
  readonly fields?: Readonly<Record<string, string>>;
}

/** One ban as the firewall driver sees it: enough to put an element into a set. */
export interface Ban {
  readonly jail: string;
  /** Address or prefix, canonical text. */
  readonly addr: string;
  /** Absolute expiry in ms since the epoch; `null` for permanent. */
  readonly expiresAt: number | null;
}
