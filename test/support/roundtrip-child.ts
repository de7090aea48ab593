/**
 * Child process for test/fw-roundtrip.test.ts, run inside a namespace:
 * reconciles a layout with every rule shape, set and chain f2b-fw builds
 * (plus single and prefix bans), dumps the table back with TableDump and
 * compares each object with what was encoded; prints the differences, a
 * second plan and nft's own listing as one JSON line.
 */
import { spawnSync } from 'node:child_process';
import { systemClock } from '../../src/core/clock.js';
import type { FirewallLayout } from '../../src/fw/layout.js';
import { NftConn } from '../../native/nftables/batch.js';
import { TableDump } from '../../native/nftables/dump.js';
import { NftDriver } from '../../src/fw/nft/driver.js';
import { readActual } from '../../src/fw/nft/actual.js';
import { desiredState, ruleKey } from '../../src/fw/nft/desired.js';

/** Every shape: one port, several ports, a range, ports and a range, all ports; drop and reject; each hook. */
const LAYOUT: FirewallLayout = {
  priority: -10,
  jails: [
    { name: 'one', ports: [{ from: 22, to: 22 }], protocols: ['tcp'], hooks: ['input'], verdict: 'drop', maxelem: 1000 },
    { name: 'two', ports: [{ from: 80, to: 80 }, { from: 443, to: 443 }], protocols: ['tcp', 'udp'], hooks: ['input', 'forward'], verdict: 'reject', maxelem: 1000 },
    { name: 'span', ports: [{ from: 1000, to: 2000 }], protocols: ['udp', 'sctp'], hooks: ['prerouting'], verdict: 'reject', maxelem: 1000 },
    { name: 'mixed', ports: [{ from: 22, to: 22 }, { from: 5000, to: 6000 }, { from: 65000, to: 65535 }], protocols: ['tcp', 'dccp'], hooks: ['forward', 'input'], verdict: 'drop', maxelem: 1000 },
    { name: 'allr', ports: 'all', protocols: [], hooks: ['input'], verdict: 'reject', maxelem: 1000 },
    { name: 'alld', ports: 'all', protocols: [], hooks: ['forward'], verdict: 'drop', maxelem: 1000 },
  ],
};

async function main(): Promise<void> {
  const now = Date.now();
  const bans = [
    { jail: 'one', addr: '203.0.113.9', expiresAt: now + 600_000 },
    { jail: 'one', addr: '2001:db8::9', expiresAt: null },
    { jail: 'two', addr: '198.51.100.0/24', expiresAt: now + 600_000 },
    { jail: 'two', addr: '2001:db8:1::/48', expiresAt: null },
  ];
  const driver = new NftDriver(new NftConn(), systemClock);
  const dump = TableDump.open('inet', 'f2b-fw');
  const diffs: string[] = [];
  try {
    await driver.reconcile(LAYOUT, bans);
    const actual = await readActual(dump);
    const desired = desiredState(LAYOUT, bans, systemClock.now());
    if (!actual.marked) diffs.push('marker counter missing');
    for (const [name, want] of desired.chains) {
      const got = actual.chains.get(name);
      for (const k of ['type', 'hook', 'prio', 'policy'] as const) if (got?.[k] !== want[k]) diffs.push(`chain ${name} ${k}: ${String(got?.[k])} ≠ ${String(want[k])}`);
    }
    for (const [name, want] of desired.sets) {
      const got = actual.sets.get(name);
      if (got?.type !== want.type || [...(got?.flags ?? [])].sort().join() !== [...want.flags].sort().join()) diffs.push(`set ${name}: ${JSON.stringify(got)} ≠ ${JSON.stringify(want)}`);
    }
    const byKey = new Map(actual.rules.map((r) => [ruleKey(r.chain, r.comment ?? ''), r]));
    for (const [key, want] of desired.rules) {
      const got = byKey.get(key);
      if (!got) diffs.push(`rule ${key.replace('\n', ' ')} missing`);
      else if (got.body !== want.body) diffs.push(`rule ${key.replace('\n', ' ')}:\n  dumped  ${got.body}\n  encoded ${want.body}`);
    }
    if (actual.rules.length !== desired.rules.size) diffs.push(`${actual.rules.length} rules dumped, ${desired.rules.size} built`);
    for (const [name, want] of desired.elements) {
      const got = actual.elements.get(name);
      const ids = [...want.keys()].sort().join();
      if ([...(got?.keys() ?? [])].sort().join() !== ids) diffs.push(`elements of ${name} differ`);
    }
    const second = await driver.reconcile(LAYOUT, bans);
    const nft = spawnSync('nft', ['list', 'table', 'inet', 'f2b-fw'], { encoding: 'utf8' }).stdout;
    console.log(JSON.stringify({ diffs, second: second.changes.map((c) => `${c.action} ${c.object}`), nft }));
  } finally {
    dump.close();
    await driver.close();
  }
}

if (process.argv[1]?.endsWith('roundtrip-child.js')) void main();
