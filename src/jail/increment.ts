/**
 * bantime.increment, computed the way fail2ban's documented formulas and
 * options compute it (and never by evaluating configuration text):
 * - multipliers: bantime * factor * multipliers[min(count, last)];
 * - default formula: max(bantime, bantime * 2^min(count, 20) * factor);
 * - exp formula: max(bantime, bantime * e^((count+1)*factor) / e^factor);
 * then capped at maxtime and increased by a random part of rndtime.
 * `count` is the number of earlier bans of the address; without any the
 * plain bantime applies (as in fail2ban, maxtime and rndtime too only apply then).
 */
import { DEFAULTS } from '../core/defaults.js';
import type { BantimeIncrement } from './settings.js';

/** The longest ban computed (seconds): about 68 years, far beyond any sensible maxtime. */
export const MAX_BANTIME = 2 ** 31 - 1;

/** The ban length (seconds) for an address banned `count` times before; `random` gives [0, 1). */
export function incrementedBantime(bantime: number, count: number, inc: BantimeIncrement, random: () => number): number {
  if (count <= 0) return bantime;
  let t: number;
  if (inc.multipliers.length > 0) {
    t = bantime * inc.factor * inc.multipliers[Math.min(count, inc.multipliers.length - 1)]!;
  } else if (inc.formula === 'exp') {
    t = Math.max(bantime, bantime * Math.exp((count + 1) * inc.factor) / Math.exp(inc.factor));
  } else {
    t = Math.max(bantime, bantime * 2 ** Math.min(count, DEFAULTS.bantimeMaxShift) * inc.factor);
  }
  if (inc.maxtime !== null) t = Math.min(t, inc.maxtime);
  if (inc.rndtime !== null) t += random() * inc.rndtime;
  if (!Number.isFinite(t) || t > MAX_BANTIME) t = MAX_BANTIME;
  return Math.max(1, Math.round(t));
}
