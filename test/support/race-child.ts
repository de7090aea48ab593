/**
 * Child process for test/fw-generation.test.ts, run inside a namespace: a
 * reconcile during which another process inserts a rule into our chain
 * (after our dump has read the rules, before we commit). Prints the plan and
 * the input chain afterwards as one JSON line.
 */
import { spawnSync } from 'node:child_process';
import { systemClock } from '../../src/core/clock.js';
import type { FirewallLayout } from '../../src/fw/layout.js';
import { GenerationChanged, NftConn } from '../../native/nftables/batch.js';
import { TableDump } from '../../native/nftables/dump.js';
import { NftDriver } from '../../src/fw/nft/driver.js';
import { formatPlan } from '../../src/fw/plan.js';

const layout: FirewallLayout = {
  priority: -10,
  jails: [{ name: 'race', ports: [{ from: 22, to: 22 }], protocols: ['tcp'], hooks: ['input'], verdict: 'drop', maxelem: 100 }],
};

async function main(): Promise<void> {
  const real = TableDump.open('inet', 'f2b-fw');
  let raced = false;
  // The real dump, except that the first rule listing is followed by someone else's change.
  const dump = Object.create(real) as TableDump;
  dump.rules = async () => {
    const rules = await real.rules();
    if (!raced && rules.length > 0) {
      raced = true;
      const r = spawnSync('nft', ['insert', 'rule', 'inet', 'f2b-fw', 'input', 'ip', 'saddr', '198.51.100.0/24', 'accept'], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(r.stderr);
    }
    return rules;
  };
  // Counts the batches the kernel refused for a stale generation (NFNL_BATCH_GENID).
  let refused = 0;
  const conn = new NftConn();
  const exclusive = conn.exclusive.bind(conn);
  conn.exclusive = (fn) => exclusive((send) => fn(async (batch, genid) => {
    try {
      await send(batch, genid);
    } catch (e) {
      if (e instanceof GenerationChanged) refused++;
      throw e;
    }
  }));
  const driver = new NftDriver(conn, systemClock, { dump });
  await driver.reconcile(layout, []);
  const plan = await driver.reconcile(layout, [{ jail: 'race', addr: '203.0.113.7', expiresAt: Date.now() + 60_000 }]);
  const chain = spawnSync('nft', ['list', 'chain', 'inet', 'f2b-fw', 'input'], { encoding: 'utf8' }).stdout;
  await driver.close();
  console.log(JSON.stringify({ raced, refused, plan: formatPlan(plan), chain }));
}

void main();
