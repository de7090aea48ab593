/**
 * `escalate = N in DURATION`: remembers which addresses (or counting
 * prefixes) of one escalation prefix a jail banned, and says when N of them
 * fell within the window, so the jail bans the prefix instead. Prefixes it
 * banned are remembered until their ban ends, so failures inside them are
 * not counted again. Both maps keep at most `cap` entries, the least recently
 * touched forgotten first: a flood of distinct prefixes cannot grow them.
 */
import { prefixKey } from '../core/prefix.js';
import type { Escalation } from './prefix-settings.js';

/** A prefix that reached the escalation count, with the bans that made it. */
export interface Escalated {
  readonly prefix: string;
  readonly members: readonly string[];
}

/** One jail's escalation memory. */
export class EscalationTracker {
  /** Escalation prefix → (banned member → when), least recently touched first. */
  private readonly groups = new Map<string, Map<string, number>>();
  /** Escalation prefixes banned → until (ms; Infinity = permanent). */
  private readonly banned = new Map<string, number>();

  constructor(private readonly esc: Escalation, private readonly cap: number) {}

  /** The escalation prefix holding `target`, or null when `target` is that wide already. */
  prefixOf(target: string): string | null {
    const p = prefixKey(target, this.esc.bits.v4, this.esc.bits.v6);
    return p === null || p === target ? null : p;
  }

  /** The banned escalation prefix covering `target` at `now`, or null. */
  coveredBy(target: string, now: number): string | null {
    if (this.banned.size === 0) return null;
    const p = this.prefixOf(target);
    if (p === null) return null;
    const until = this.banned.get(p);
    if (until === undefined) return null;
    if (until > now) return p;
    this.banned.delete(p);
    return null;
  }

  /** Records a ban of `target` at `now`; returns the prefix and its members once `count` fell within the window. */
  record(target: string, now: number): Escalated | null {
    const prefix = this.prefixOf(target);
    if (prefix === null) return null;
    const since = now - this.esc.window * 1000;
    const group = this.groups.get(prefix) ?? new Map<string, number>();
    this.groups.delete(prefix);
    for (const [m, t] of group) if (t < since) group.delete(m);
    group.delete(target);
    group.set(target, now);
    if (group.size >= this.esc.count) return { prefix, members: [...group.keys()] };
    this.groups.set(prefix, group);
    trim(this.groups, this.cap);
    return null;
  }

  /** Remembers that `prefix` is banned until `until` (ms; null = permanent) and forgets its members. */
  markBanned(prefix: string, until: number | null): void {
    this.groups.delete(prefix);
    this.banned.delete(prefix);
    this.banned.set(prefix, until ?? Infinity);
    trim(this.banned, this.cap);
  }

  /** Forgets the members of `prefix` (its ban was refused). */
  forget(prefix: string): void {
    this.groups.delete(prefix);
  }
}

/** Drops the oldest entries of `m` beyond `cap`. */
function trim<K, V>(m: Map<K, V>, cap: number): void {
  while (m.size > cap) m.delete(m.keys().next().value as K);
}
