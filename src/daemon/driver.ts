/**
 * Chooses and opens the firewall backend for the daemon and `f2b-fw
 * reconcile`: `--backend` if given, else `banaction` from the jail
 * configuration (`auto` = nftables where usable, else ipset + iptables), or
 * null (dry run: nothing touches the kernel).
 */
import type { Clock } from '../core/clock.js';
import { F2bError, type ConfigPosition } from '../core/errors.js';
import type { FirewallDriver } from '../fw/driver.js';
import type { FirewallLayout } from '../fw/layout.js';
import type { FirewallConfig } from '../fw/spec.js';
import { checkLayoutFor, configuredBanaction } from '../fw/backend.js';
import { NftDriver } from '../fw/nft/driver.js';
import { NftContext } from '../../native/nftables/context.js';
import { loadLibNftables } from '../../native/nftables/library.js';
import { assertFirewallEnvironment, kernelHasNfTables } from '../../native/env.js';
import { IpsetDriver } from '../fw/ipset/driver.js';
import { NullDriver } from '../fw/null.js';

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

/** The real probe: libnftables loads and the kernel has nf_tables. */
export function probeNftables(): NftablesProbe {
  try {
    loadLibNftables();
  } catch (e) {
    return { usable: false, why: (e as Error).message };
  }
  if (!kernelHasNfTables()) return { usable: false, why: 'the kernel has no nf_tables support' };
  return { usable: true, why: 'libnftables loads and the kernel has nf_tables' };
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

/** Opens the backend; `warn` receives the backend's warnings (chains left alone, …). */
export async function openDriver(name: BackendName, clock: Clock, warn: (message: string) => void): Promise<FirewallDriver> {
  switch (name) {
    case 'nftables':
      assertFirewallEnvironment();
      return new NftDriver(NftContext.open(), clock);
    case 'ipset': return IpsetDriver.open({ clock, onWarning: warn });
    case 'null': return new NullDriver(clock);
  }
}
