/**
 * ignoreself's view of this host's addresses while the daemon runs: live from
 * rtnetlink (native/netlink/address-watch.ts), so an address added after start
 * or sitting on an interface without carrier is never banned; when rtnetlink
 * cannot be opened, the addresses Node reports at start (logged).
 */
import type { Logger } from '../core/log.js';
import type { Net } from '../core/prefix.js';
import { hostAddresses, parseNet, type HostAddressSource } from '../jail/ignore.js';
import { AddressWatch } from '../../native/netlink/address-watch.js';

/**
 * A HostAddressSource over a function listing addresses; networks re-parsed only when the list
 * changes. The list is read once per synchronous run (until the next microtask checkpoint): a
 * `ban --file` chunk of 10,000 addresses checked in one loop reads rtnetlink once, not 10,000 times.
 */
export class HostAddresses implements HostAddressSource {
  private text = '';
  private parsed: Net[] = [];
  private current = false;

  constructor(private readonly list: () => readonly string[], private readonly onClose: () => void = () => undefined) {}

  /** HostAddressSource: the host's addresses now, as networks. */
  nets(): readonly Net[] {
    if (this.current) return this.parsed;
    this.current = true;
    queueMicrotask(() => { this.current = false; });
    const now = this.list();
    const text = now.join(' ');
    if (text !== this.text) {
      this.text = text;
      this.parsed = now.map((a) => parseNet(a.replace(/%.*$/, ''))).filter((n) => n !== null);
    }
    return this.parsed;
  }

  /** Stops following changes. */
  close(): void {
    this.onClose();
  }
}

/** Opens the live source; falls back to the addresses known now when rtnetlink is not available. */
export async function openHostAddresses(log: Logger): Promise<HostAddresses> {
  try {
    const watch = await AddressWatch.open();
    return new HostAddresses(() => watch.addresses(), () => watch.close());
  } catch (e) {
    const fixed = hostAddresses();
    log.warn({ event: 'ignoreself', err: (e as Error).message },
      `cannot follow address changes (${(e as Error).message}): ignoreself uses the ${fixed.length} address(es) of interfaces up at start`);
    return new HostAddresses(() => fixed);
  }
}
