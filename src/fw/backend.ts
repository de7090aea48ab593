/**
 * Backend selection, in one place: which backend the configuration asks for
 * (`banaction` in [DEFAULT], fail2ban's action names mapped onto our two
 * backends), `--backend` overriding it, `auto` probing nftables, the
 * layout checks from the backend's declared capabilities, the rule that a
 * reload keeps the running backend, and opening the driver. Everything but
 * openDriver runs before the kernel is touched and names file, line,
 * section, key and value on error.
 */
import { sectionEnabled } from '../config/bool.js';
import { ConfigError, F2bError, type ConfigPosition } from '../core/errors.js';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/log.js';
import type { FirewallDriver } from './driver.js';
import { IPSET_CAPABILITIES, NFTABLES_CAPABILITIES, NULL_CAPABILITIES, type DriverCapabilities } from './capabilities.js';
import { NftDriver } from './nft/driver.js';
import { NftConn } from '../../native/nftables/batch.js';
import { assertFirewallEnvironment, kernelHasNfTables } from '../../native/env.js';
import { IpsetDriver } from './ipset/driver.js';
import { NullDriver } from './null.js';

import type { Setting } from '../config/types.js';
import type { FirewallLayout } from './layout.js';
import type { FirewallConfig } from './spec.js';
import { validateLayout } from './ipset/rules.js';
import { BANACTIONS, DEFAULT_BANACTION, type Banaction, type KernelBackend } from './banaction.js';

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
  if (CAPABILITIES[backend === 'nftables' ? 'nftables' : 'ipset'].prerouting) return;
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

/** Backend names `--backend` accepts (`iptables-ipset` is an alias of `ipset`). */
export const BACKENDS = ['nftables', 'ipset', 'null'] as const;
export type BackendName = (typeof BACKENDS)[number];

/** Validates a `--backend` value. */
export function backendName(text: string): BackendName {
  const name = text === 'iptables-ipset' ? 'ipset' : text;
  if (!(BACKENDS as readonly string[]).includes(name)) {
    throw new F2bError('usage', `unknown backend ${JSON.stringify(text)}; choose one of ${BACKENDS.join(', ')} (iptables-ipset = ipset)`);
  }
  return name as BackendName;
}

/** Whether nftables can be used here; `why` says what is missing when not. */
export interface NftablesProbe {
  readonly usable: boolean;
  readonly why: string;
}

/** The real probe: the kernel has nf_tables (f2b-fw speaks nfnetlink itself, no library is needed). */
export function probeNftables(): NftablesProbe {
  if (!kernelHasNfTables()) return { usable: false, why: 'the kernel has no nf_tables support' };
  return { usable: true, why: 'the kernel has nf_tables' };
}

/** The chosen backend and why (logged at start-up). */
export interface BackendChoice {
  readonly backend: BackendName;
  readonly why: string;
  /** Where banaction was set (the [DEFAULT] line; a position naming the key when built in). */
  readonly pos: ConfigPosition;
}

/**
 * Chooses the backend: the configuration is always validated (banaction in
 * [DEFAULT] only, known names), then `flag` (`--backend`) wins, else the
 * configured banaction, `auto` asking `probe`. The layout is checked against
 * the chosen backend (ipset has no prerouting) — all before the kernel is touched.
 */
export function chooseBackend(flag: string | undefined, cfg: FirewallConfig, layout: FirewallLayout,
  probe: () => NftablesProbe = probeNftables): BackendChoice {
  const configured = configuredBanaction(cfg);
  const where = configured.pos ? `banaction = ${configured.pos.value ?? configured.banaction} (${configured.pos.file}${configured.pos.line === undefined ? '' : `:${configured.pos.line}`})` : `banaction not set (default ${configured.banaction})`;
  const pos = configured.pos ?? { file: cfg.configDir, section: 'DEFAULT', key: 'banaction' };
  let choice: BackendChoice;
  if (flag !== undefined) choice = { backend: backendName(flag), why: `--backend ${flag}`, pos };
  else if (configured.banaction === 'nftables') choice = { backend: 'nftables', why: where, pos };
  else if (configured.banaction === 'iptables-ipset') choice = { backend: 'ipset', why: where, pos };
  else {
    const p = probe();
    choice = p.usable
      ? { backend: 'nftables', why: `${where}: nftables is usable (${p.why})`, pos }
      : { backend: 'ipset', why: `${where}: nftables is not usable (${p.why}), using ipset + iptables`, pos };
  }
  if (choice.backend !== 'null') checkLayoutFor(choice.backend === 'ipset' ? 'iptables-ipset' : 'nftables', cfg, layout);
  return choice;
}

/**
 * One backend per daemon: the choice a reloaded configuration makes (with
 * `auto` answered as at start-up) must be the running one; ConfigError naming
 * the banaction line otherwise (restart to switch).
 */
export function checkSameBackend(flag: string | undefined, running: BackendName, cfg: FirewallConfig, layout: FirewallLayout): void {
  const next = chooseBackend(flag, cfg, layout, () => ({ usable: running === 'nftables', why: 'as chosen at start-up' }));
  if (next.backend !== running) {
    throw new ConfigError(next.pos, `asks for the ${next.backend} backend but the daemon runs ${running}; restart f2b-fw to switch backends`);
  }
}

/** What each backend declares it can do (the same objects its driver carries). */
export const CAPABILITIES: Readonly<Record<BackendName, DriverCapabilities>> = {
  nftables: NFTABLES_CAPABILITIES, ipset: IPSET_CAPABILITIES, null: NULL_CAPABILITIES,
};

/**
 * Opens the backend; `warn` receives the backend's warnings (chains left
 * alone, …), `log` the null backend's would-block lines.
 */
export async function openDriver(name: BackendName, clock: Clock, warn: (message: string) => void, log?: Logger): Promise<FirewallDriver> {
  switch (name) {
    case 'nftables':
      assertFirewallEnvironment();
      return new NftDriver(new NftConn(), clock);
    case 'ipset': return IpsetDriver.open({ clock, onWarning: warn });
    case 'null': return new NullDriver(clock, log);
  }
}
