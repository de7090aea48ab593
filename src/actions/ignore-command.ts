/**
 * fail2ban's `ignorecommand`: before an address is banned, a command decides whether to ignore it
 * (exit 0: ignore, 1: ban; anything else, a timeout included, is logged and the ban goes ahead).
 * It runs like an action command — the address only as `$f2bV_ip`, never in the shell text, own
 * process group, timeout — and its answer is cached per address for the jail's findtime, so a
 * flood of failures costs one run. fail2ban's stock `ignorecommands/apache-fakegooglebot <ip>` is
 * answered natively instead: the address's reverse DNS name must be under googlebot.com or
 * google.com and resolve forward to the address again.
 */
import type { Clock, Timers } from '../core/clock.js';
import type { Logger } from '../core/log.js';
import type { Setting } from '../config/types.js';
import { describeFailure, runCommand, type Spawn } from './run-command.js';
import { dynamicCommand } from './tags.js';

/** DNS as the fakegooglebot check needs it (node:dns/promises fits). */
export interface ReverseResolver {
  reverse(addr: string): Promise<string[]>;
  /** Addresses of `name`, both families. */
  addresses(name: string): Promise<string[]>;
}

/** Side effects and limits. */
export interface IgnoreCommandDeps {
  readonly clock: Clock;
  readonly timers: Timers;
  readonly log: Logger;
  readonly spawn?: Spawn;
  readonly resolver?: ReverseResolver;
  /** Longest a command may run (default IGNORE_DEFAULTS.timeoutMs). */
  readonly timeoutMs?: number;
}

/** Defaults of ignore checks. */
export const IGNORE_DEFAULTS = {
  /** Longest an ignorecommand may run (ms). */
  timeoutMs: 10_000,
  /** Addresses whose answer is remembered at most. */
  cacheEntries: 10_000,
} as const;

const FAKEGOOGLEBOT = /(^|\/)ignorecommands\/apache-fakegooglebot\s+<ip>\s*$/;
const GOOGLE_NAME = /\.(googlebot|google)\.com\.?$/i;

/** The system resolver for the native fakegooglebot check. */
export async function systemResolver(): Promise<ReverseResolver> {
  const dns = await import('node:dns/promises');
  return {
    reverse: (a) => dns.reverse(a),
    addresses: async (n) => (await dns.lookup(n, { all: true })).map((r) => r.address),
  };
}

/** One jail's ignorecommand. */
export class IgnoreCommand {
  private readonly cache = new Map<string, { until: number; ignore: boolean }>();
  private readonly native: boolean;

  constructor(private readonly setting: Setting, private readonly jail: string, private readonly findtimeSec: number, private readonly deps: IgnoreCommandDeps) {
    this.native = FAKEGOOGLEBOT.test(setting.value.trim());
  }

  /** True when `addr` is to be ignored (not banned). Never rejects. */
  async ignored(addr: string): Promise<boolean> {
    const now = this.deps.clock.now();
    const hit = this.cache.get(addr);
    if (hit && hit.until > now) return hit.ignore;
    const ignore = this.native ? await this.isGooglebot(addr) : await this.ask(addr);
    if (this.cache.size >= IGNORE_DEFAULTS.cacheEntries) this.cache.delete(this.cache.keys().next().value as string);
    this.cache.set(addr, { until: this.deps.clock.now() + this.findtimeSec * 1000, ignore });
    return ignore;
  }

  private async ask(addr: string): Promise<boolean> {
    const cmd = dynamicCommand(this.setting.value, {
      ip: addr, family: addr.includes(':') ? 'inet6' : 'inet4', failures: 0, time: Math.floor(this.deps.clock.now() / 1000),
      bantime: 0, bancount: 0, matches: [], ipmatches: [], ipjailmatches: [], fields: {},
    });
    const r = await runCommand(cmd, {
      timeoutMs: this.deps.timeoutMs ?? IGNORE_DEFAULTS.timeoutMs, timers: this.deps.timers, now: () => this.deps.clock.now(),
      ...(this.deps.spawn ? { spawn: this.deps.spawn } : {}),
    });
    if (r.code === 0 && !r.timedOut) return true;
    if (r.code === 1 && !r.timedOut) return false;
    this.deps.log.error({ jail: this.jail, addr, code: r.code, output: r.output.slice(0, 2000) },
      `[${this.jail}] ignorecommand for ${addr} failed (${describeFailure(r)}): not ignored`);
    return false;
  }

  private async isGooglebot(addr: string): Promise<boolean> {
    try {
      const resolver = this.deps.resolver ?? await systemResolver();
      const names = (await resolver.reverse(addr)).filter((n) => GOOGLE_NAME.test(n)).slice(0, 4);
      for (const name of names) {
        if ((await resolver.addresses(name.replace(/\.$/, ''))).includes(addr)) return true;
      }
      return false;
    } catch {
      return false;
    }
  }
}
