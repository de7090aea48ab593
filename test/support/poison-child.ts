/**
 * Child process for test/fw-poison.test.ts, run inside a namespace: bans
 * that carry absurd values (a bantime of 10^20 s, an expiry that is not a
 * number, text that is no address) next to ordinary ones, through the real
 * driver of the backend named in argv[2]; prints what the kernel holds and
 * what a second reconcile plans, as one JSON line.
 */
import { systemClock } from '../../src/core/clock.js';
import type { Ban } from '../../src/core/records.js';
import type { FirewallDriver } from '../../src/fw/driver.js';
import type { FirewallLayout } from '../../src/fw/layout.js';
import { NftConn } from '../../native/nftables/batch.js';
import { NftDriver } from '../../src/fw/nft/driver.js';
import { IpsetDriver } from '../../src/fw/ipset/driver.js';

const layout: FirewallLayout = {
  priority: -10,
  jails: [{ name: 'p', ports: [{ from: 22, to: 22 }], protocols: ['tcp'], hooks: ['input'], verdict: 'drop', maxelem: 1000 }],
};

async function main(): Promise<void> {
  const backend = process.argv[2];
  const driver: FirewallDriver = backend === 'ipset'
    ? await IpsetDriver.open({ clock: systemClock, variant: 'legacy' })
    : new NftDriver(new NftConn(), systemClock);
  const now = Date.now();
  const huge = now + 1e23;
  const store: Ban[] = [
    { jail: 'p', addr: '203.0.113.1', expiresAt: now + 3600_000 },
    { jail: 'p', addr: '203.0.113.2', expiresAt: huge },
    { jail: 'p', addr: '2001:db8::2', expiresAt: Number.POSITIVE_INFINITY },
    { jail: 'p', addr: '198.51.100.0/24', expiresAt: huge },
    { jail: 'p', addr: 'not-an-address', expiresAt: now + 3600_000 },
    { jail: 'p', addr: '203.0.113.3', expiresAt: Number.NaN },
  ];
  const out: Record<string, unknown> = {};
  try {
    await driver.reconcile(layout, []);
    await driver.ban(store);
    out.afterBan = (await driver.list('p')).map((b) => ({ addr: b.addr, years: b.expiresAt === null ? null : Math.round((b.expiresAt - now) / 3.15576e10) }));
    const first = await driver.reconcile(layout, store);
    out.firstReconcile = first.changes.length;
    const second = await driver.reconcile(layout, store);
    out.secondReconcile = second.changes.map((c) => `${c.action} ${c.object} (${c.reason})`);
  } catch (e) {
    out.error = (e as Error).message;
  } finally {
    await driver.close();
  }
  console.log(JSON.stringify(out));
}

void main();
