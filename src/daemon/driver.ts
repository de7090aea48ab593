/**
 * Chooses and opens the firewall backend for the daemon: nftables (default),
 * ipset + iptables, or null (dry run: nothing touches the kernel).
 */
import type { Clock } from '../core/clock.js';
import { F2bError } from '../core/errors.js';
import type { FirewallDriver } from '../fw/driver.js';
import { NftDriver } from '../fw/nft/driver.js';
import { NftContext } from '../../native/nftables/context.js';
import { assertFirewallEnvironment } from '../../native/env.js';
import { IpsetDriver } from '../fw/ipset/driver.js';
import { NullDriver } from '../fw/null.js';

/** Backend names `--backend` accepts. */
export const BACKENDS = ['nftables', 'ipset', 'null'] as const;
export type BackendName = (typeof BACKENDS)[number];

/** Validates a `--backend` value. */
export function backendName(text: string | undefined): BackendName {
  const name = text ?? 'nftables';
  if (!(BACKENDS as readonly string[]).includes(name)) {
    throw new F2bError('usage', `unknown backend ${JSON.stringify(name)}; choose one of ${BACKENDS.join(', ')}`);
  }
  return name as BackendName;
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
