/**
 * Multi-line failure ids (`<F-MLFID>`): lines of one connection (same id,
 * e.g. `sshd[1234]`) are merged, so a failure logged without an address is
 * attributed once the address appears, `<F-NOFAIL>` lines wait for a real
 * failure, `<F-MLFGAINED>` (a successful login) cancels pending failures and
 * `<F-MLFFORGET>` (disconnect) drops the connection. Semantics follow
 * fail2ban's filter; at most 100 connections for 5 minutes are remembered.
 */

/** The merged state of one failure: captured groups plus bookkeeping. */
export interface FailState {
  groups: Record<string, string>;
  matches: string[];
  nofailMatches: string[];
  users: Set<string>;
  nofail: boolean;
  gained: boolean;
  pending: boolean;
}

interface Entry { state: FailState; at: number }

const MAX_ENTRIES = 100;
const MAX_AGE_MS = 5 * 60_000;

const NOFAIL = 1;
const FORGET = 2;
const CACHED_NOFAIL = 4;
const GAINED = 8;

/** The per-filter cache of open multi-line failures. */
export class MlfidCache {
  private readonly entries = new Map<string, Entry>();

  /** Drops everything (a filter reload). */
  clear(): void { this.entries.clear(); }

  /**
   * Merges one matched line (its groups, flags from the `F-NOFAIL`,
   * `F-MLFGAINED`, `F-MLFFORGET` captures) into the connection `mlfid`.
   * Returns the merged state; `state.nofail` tells whether it is a failure.
   */
  merge(mlfid: string, groups: Record<string, string>, line: string, now: number): FailState {
    this.expire(now);
    let flags = 0;
    const gained = groups.mlfgained !== undefined;
    if (gained) flags |= GAINED | NOFAIL;
    else if (groups.nofail !== undefined) flags |= NOFAIL;
    if (groups.mlfforget !== undefined) flags |= FORGET;
    const user = groups.user;
    const entry = this.entries.get(mlfid);
    let state: FailState;
    if (entry) {
      state = entry.state;
      if (user !== undefined) state.users.add(user);
      if (state.nofail || state.gained) flags |= CACHED_NOFAIL;
      state.nofail = false;
      state.gained = false;
      if (flags & GAINED) state.pending = false;
      if (!(flags & CACHED_NOFAIL) && !state.pending) state.matches = [];
      for (const [k, v] of Object.entries(groups)) if (k !== 'mlfforget') state.groups[k] = v;
      state.nofail = (flags & NOFAIL) !== 0;
      state.gained = gained;
      if (flags & FORGET) this.entries.delete(mlfid);
    } else {
      const { mlfforget: _forget, ...kept } = groups;
      state = {
        groups: kept, matches: [], nofailMatches: [], users: new Set(user === undefined ? [] : [user]),
        nofail: (flags & NOFAIL) !== 0, gained, pending: false,
      };
      if (!(flags & FORGET)) {
        if (this.entries.size >= MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
        this.entries.set(mlfid, { state, at: now });
      }
    }
    if (state.pending || state.users.size > 1) {
      state.pending = false;
      state.nofail = false;
      state.gained = false;
      flags &= ~(GAINED | NOFAIL);
    }
    if (!(flags & NOFAIL)) {
      const m = [...state.nofailMatches, ...state.matches];
      if (!(flags & GAINED)) m.push(line);
      state.nofailMatches = [];
      state.matches = m;
    } else if ((flags & (NOFAIL | FORGET)) === NOFAIL) {
      state.nofailMatches.push(line);
    }
    return state;
  }

  private expire(now: number): void {
    for (const [k, e] of this.entries) {
      if (now - e.at <= MAX_AGE_MS) break;
      this.entries.delete(k);
    }
  }
}
