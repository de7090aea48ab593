/**
 * Which firewall backend the configuration asks for: `banaction` in
 * [DEFAULT] (fail2ban's action names are mapped onto our two backends), and
 * the backend-specific layout checks. Everything here runs before the kernel
 * is touched and names file, line, section, key and value on error.
 */
import { sectionEnabled } from '../config/bool.js';
import { ConfigError, type ConfigPosition } from '../core/errors.js';
import type { Setting } from '../config/types.js';
import type { FirewallLayout } from './layout.js';
import type { FirewallConfig } from './spec.js';
import { validateLayout } from './ipset/rules.js';

/** A kernel backend: nftables sets, or ipsets with iptables chains. */
export type KernelBackend = 'nftables' | 'iptables-ipset';
/** What `banaction` may ask for: a backend, or `auto` (nftables where usable). */
export type Banaction = KernelBackend | 'auto';

/** `banaction` names (ours and fail2ban's action files) → backend. */
export const BANACTIONS: Readonly<Record<string, Banaction>> = {
  auto: 'auto',
  nftables: 'nftables',
  'nftables-multiport': 'nftables',
  'nftables-allports': 'nftables',
  'iptables-ipset': 'iptables-ipset',
  'iptables-ipset-proto4': 'iptables-ipset',
  'iptables-ipset-proto6': 'iptables-ipset',
  'iptables-ipset-proto6-allports': 'iptables-ipset',
  iptables: 'iptables-ipset',
  'iptables-new': 'iptables-ipset',
  'iptables-multiport': 'iptables-ipset',
  'iptables-multiport-log': 'iptables-ipset',
  'iptables-allports': 'iptables-ipset',
};

/** The backend when no `banaction` is set anywhere. */
export const DEFAULT_BANACTION: Banaction = 'auto';

/** The configured choice and where it was made (undefined position = built-in default). */
export interface ConfiguredBanaction {
  readonly banaction: Banaction;
  readonly pos?: ConfigPosition;
}

/**
 * Maps one `banaction` value; fail2ban's `name[arg=…]` form is accepted and
 * its arguments ignored (f2b-fw builds the rules from port/protocol/hooks).
 */
function banactionOf(s: Setting): Banaction {
  const m = /^\s*([A-Za-z0-9_.-]+)\s*(?:\[.*\])?\s*$/s.exec(s.value);
  const found = m ? BANACTIONS[m[1]!.toLowerCase()] : undefined;
  if (found === undefined) {
    throw new ConfigError(s.pos, `unknown banaction; use auto, nftables or iptables-ipset (fail2ban's ${Object.keys(BANACTIONS).filter((k) => k.includes('-')).join(', ')} are understood too)`);
  }
  return found;
}

/**
 * The backend the jail configuration asks for. `banaction` is a [DEFAULT]
 * key: one daemon runs one backend, so an enabled jail whose banaction maps
 * to another backend is refused, as is an unknown name.
 */
export function configuredBanaction(cfg: FirewallConfig): ConfiguredBanaction {
  const own = cfg.defaults.settings.get('banaction');
  const chosen = own ? banactionOf(own) : DEFAULT_BANACTION;
  for (const jail of cfg.jails) {
    if (!sectionEnabled(jail)) continue;
    const s = jail.settings.get('banaction');
    if (!s) continue;
    const b = banactionOf(s);
    if (b !== chosen) {
      throw new ConfigError(s.pos, `one backend per daemon: [DEFAULT] banaction is ${chosen}${own ? ` (${own.pos.file}${own.pos.line === undefined ? '' : `:${own.pos.line}`})` : ' (built-in default)'}; set banaction in [DEFAULT] only`);
    }
  }
  return { banaction: chosen, ...(own ? { pos: own.pos } : {}) };
}

/**
 * Checks the layout against what `backend` can build, before any kernel
 * change: the iptables-ipset backend has no prerouting hook (the error points
 * at the jail's `hooks` line) and needs distinct ipset/chain names.
 */
export function checkLayoutFor(backend: KernelBackend, cfg: FirewallConfig, layout: FirewallLayout): void {
  if (backend !== 'iptables-ipset') return;
  const wanted = new Set(layout.jails.map((j) => j.name));
  for (const jail of cfg.jails) {
    if (!wanted.has(jail.name)) continue;
    const hooks = jail.settings.get('hooks');
    if (hooks && /(^|[\s,])prerouting([\s,]|$)/i.test(hooks.value)) {
      throw new ConfigError(hooks.pos, 'the iptables-ipset backend attaches to input and forward only (the filter table has no prerouting hook); use banaction = nftables for prerouting');
    }
  }
  validateLayout(layout);
}
