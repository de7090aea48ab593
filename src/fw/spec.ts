/**
 * Builds the FirewallLayout from the loaded configuration and validates every
 * firewall key (port, protocol, hooks, verdict/blocktype, priority) before
 * anything touches the kernel. Errors name file, line, section, key and value.
 */
import { parseBoolean } from '../config/bool.js';
import { ConfigError, type ConfigPosition } from '../core/errors.js';
import { DEFAULTS } from '../core/defaults.js';
import type { RawSection, Setting } from '../config/types.js';
import { parsePorts, ServiceTable } from '../config/ports.js';
import type { FirewallLayout, Hook, JailFirewall, Protocol, Verdict } from './layout.js';

/** The parts of the loaded config the firewall needs (src/config/load.ts's LoadedConfig fits). */
export interface FirewallConfig {
  readonly configDir: string;
  readonly defaults: RawSection;
  readonly jails: readonly RawSection[];
}

/** Every protocol `protocol = all` stands for. */
export const ALL_PROTOCOLS: readonly Protocol[] = ['tcp', 'udp', 'sctp', 'dccp'];
const HOOKS: readonly Hook[] = ['input', 'forward', 'prerouting'];
/** nftables' named priorities (inet family, filter chains). */
const NAMED_PRIORITIES: Readonly<Record<string, number>> = { raw: -300, mangle: -150, dstnat: -100, filter: 0, security: 50, srcnat: 100 };
/** Jail names become set names and rule comments: keep them short and plain. */
const JAIL_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,47}$/;

function setting(section: RawSection, key: string): Setting | undefined {
  return section.settings.get(key);
}

function fallbackPos(cfg: FirewallConfig, section: string, key: string, value?: string): ConfigPosition {
  return { file: cfg.configDir, section, key, ...(value === undefined ? {} : { value }) };
}

function parseList(value: string): string[] {
  return value.split(/[\s,]+/).filter((s) => s !== '').map((s) => s.toLowerCase());
}

function parseProtocols(s: Setting | undefined): Protocol[] {
  if (!s) return ['tcp'];
  const words = parseList(s.value);
  if (words.length === 0) throw new ConfigError(s.pos, 'no protocol given (tcp, udp, sctp, dccp or all)');
  if (words.includes('all')) return [...ALL_PROTOCOLS];
  for (const w of words) {
    if (!(ALL_PROTOCOLS as readonly string[]).includes(w)) throw new ConfigError(s.pos, `unknown protocol ${JSON.stringify(w)} (tcp, udp, sctp, dccp or all)`);
  }
  return ALL_PROTOCOLS.filter((p) => words.includes(p));
}

function parseHooks(s: Setting | undefined): Hook[] {
  if (!s) return [...DEFAULTS.hooks];
  const words = parseList(s.value);
  if (words.length === 0) throw new ConfigError(s.pos, 'no hook given (input, forward, prerouting)');
  for (const w of words) {
    if (!(HOOKS as readonly string[]).includes(w)) throw new ConfigError(s.pos, `unknown hook ${JSON.stringify(w)} (input, forward, prerouting)`);
  }
  return HOOKS.filter((h) => words.includes(h));
}

/** `verdict = drop|reject`, else fail2ban's `blocktype` (DROP, REJECT, `REJECT --reject-with …`). */
function parseVerdict(verdict: Setting | undefined, blocktype: Setting | undefined): Verdict {
  if (verdict) {
    const v = verdict.value.trim().toLowerCase();
    if (v === 'drop' || v === 'reject') return v;
    throw new ConfigError(verdict.pos, 'verdict must be drop or reject');
  }
  if (blocktype) {
    const v = blocktype.value.trim().toLowerCase();
    if (/^drop\b/.test(v)) return 'drop';
    if (/^reject\b/.test(v)) return 'reject';
    throw new ConfigError(blocktype.pos, 'blocktype must be DROP or REJECT (optionally with --reject-with …)');
  }
  return DEFAULTS.verdict;
}

/** A priority: an integer, or a named priority with an optional `+ N` / `- N`. */
export function parsePriority(value: string, pos: ConfigPosition): number {
  const m = /^\s*(?:(-?\d+)|([a-z]+)\s*(?:([+-])\s*(\d+))?)\s*$/i.exec(value);
  let prio: number | undefined;
  if (m?.[1] !== undefined) prio = Number(m[1]);
  else if (m?.[2] !== undefined) {
    const base = NAMED_PRIORITIES[m[2].toLowerCase()];
    if (base === undefined) throw new ConfigError(pos, `unknown priority name ${JSON.stringify(m[2])} (${Object.keys(NAMED_PRIORITIES).join(', ')})`);
    prio = base + (m[3] === '-' ? -1 : 1) * Number(m[4] ?? 0);
  }
  if (prio === undefined || !Number.isSafeInteger(prio) || Math.abs(prio) > 2 ** 31 - 1) {
    throw new ConfigError(pos, 'priority must be a number or a name like `filter - 10`');
  }
  return prio;
}

/** `maxelem`: a whole number of elements per set, 1 … DEFAULTS.maxelemLimit. */
function parseMaxelem(s: Setting | undefined): number {
  if (!s) return DEFAULTS.maxelem;
  const v = s.value.trim();
  const n = /^[0-9]+$/.test(v) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n) || n < 1 || n > DEFAULTS.maxelemLimit) {
    throw new ConfigError(s.pos, `maxelem must be a whole number from 1 to ${DEFAULTS.maxelemLimit}`);
  }
  return n;
}

/** One enabled jail's firewall part. */
function jailFirewall(cfg: FirewallConfig, jail: RawSection, services: ServiceTable): JailFirewall {
  if (!JAIL_NAME.test(jail.name)) {
    throw new ConfigError(fallbackPos(cfg, jail.name, 'name', jail.name),
      'a jail name must be 1-48 characters of letters, digits, `_`, `.`, `-` (it names kernel sets)');
  }
  const port = setting(jail, 'port');
  const ports = port ? parsePorts(port.value, services, port.pos) : 'all';
  const protocols = parseProtocols(setting(jail, 'protocol'));
  return {
    name: jail.name,
    ports,
    protocols: ports === 'all' ? [...ALL_PROTOCOLS] : protocols,
    hooks: parseHooks(setting(jail, 'hooks')),
    verdict: parseVerdict(setting(jail, 'verdict'), setting(jail, 'blocktype')),
    maxelem: parseMaxelem(setting(jail, 'maxelem')),
  };
}

/**
 * The firewall layout of the enabled jails. `priority` comes from [DEFAULT]
 * (default DEFAULTS.priority); a jail that sets a different one is refused,
 * since all jails share the same base chains.
 */
export function firewallLayout(cfg: FirewallConfig, services: ServiceTable = ServiceTable.load()): FirewallLayout {
  const prioSetting = setting(cfg.defaults, 'priority');
  const priority = prioSetting ? parsePriority(prioSetting.value, prioSetting.pos) : DEFAULTS.priority;
  const jails: JailFirewall[] = [];
  const seen = new Set<string>();
  for (const jail of cfg.jails) {
    const enabled = setting(jail, 'enabled');
    if (!enabled || !parseBoolean(enabled.value, enabled.pos)) continue;
    const own = setting(jail, 'priority');
    if (own && parsePriority(own.value, own.pos) !== priority) {
      throw new ConfigError(own.pos, `all jails share one base chain priority (${priority}, from [DEFAULT]); set priority in [DEFAULT] only`);
    }
    if (seen.has(jail.name.toLowerCase())) {
      throw new ConfigError(fallbackPos(cfg, jail.name, 'name', jail.name), 'two jails have this name (names are case-insensitive in the kernel layout)');
    }
    seen.add(jail.name.toLowerCase());
    jails.push(jailFirewall(cfg, jail, services));
  }
  return { priority, jails };
}
