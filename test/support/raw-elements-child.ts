/**
 * Child process for test/fw-raw-elements.test.ts, run inside a namespace
 * (`ip netns exec NS node raw-elements-child.js SCENARIO`): writes raw
 * nfnetlink element batches to table `inet f2b-fw` and prints what the kernel
 * holds afterwards as one JSON line, so the test process never touches the
 * firewall itself.
 */
import { NftBatch, NftConn } from '../../native/nftables/batch.js';
import { TableDump } from '../../native/nftables/dump.js';
import { bytesText } from '../../src/core/ip-text.js';
import { elementChange, type ElementChange, type RawElement } from '../../native/nftables/element.js';
import { NftDriver } from '../../src/fw/nft/driver.js';
import { systemClock } from '../../src/core/clock.js';
import type { FirewallLayout } from '../../src/fw/layout.js';

const layout: FirewallLayout = {
  priority: -10,
  jails: [{ name: 'raw', ports: [{ from: 22, to: 22 }], protocols: ['tcp'], hooks: ['input'], verdict: 'drop', maxelem: 1048576 }],
};

/** What one set holds: element text → ms left (null = permanent). */
type Held = Record<string, number | null>;

function v4(i: number): Buffer {
  return Buffer.from([198, 51, (i >> 8) & 255, i & 255]);
}

function v6(i: number): Buffer {
  const k = Buffer.alloc(16);
  k.writeUInt32BE(0x20010db8, 0);
  k.writeUInt32BE(i, 12);
  return k;
}

async function held(dump: TableDump, set: string): Promise<Held> {
  const out: Held = {};
  for (const e of await dump.elements(set)) out[bytesText(e.key)] = e.expiresMs ?? null;
  return out;
}

async function main(): Promise<void> {
  const scenario = process.argv[2];
  const driver = new NftDriver(new NftConn(), systemClock);
  await driver.reconcile(layout, []);
  const conn = new NftConn();
  const writer = {
    apply: (changes: readonly ElementChange[]): Promise<void> => {
      const batch = new NftBatch();
      for (const c of changes) batch.addElements({ family: 'inet', name: 'f2b-fw' }, c);
      return conn.flush(batch);
    },
  };
  const dump = TableDump.open('inet', 'f2b-fw');
  const result: Record<string, unknown> = {};
  try {
    if (scenario === 'bad-in-the-middle') {
      // 3000 IPv4 elements (several messages), a 3-byte key in the middle, then an IPv6 element.
      const good: RawElement[] = Array.from({ length: 3000 }, (_, i) => ({ key: v4(i), timeoutMs: 600_000 }));
      try {
        await writer.apply([
          elementChange('add', 'raw-v4', good.slice(0, 1500)),
          elementChange('add', 'raw-v4', [{ key: Buffer.from([192, 0, 2]), timeoutMs: 600_000 }]),
          elementChange('add', 'raw-v4', good.slice(1500)),
          elementChange('add', 'raw-v6', [{ key: v6(1), timeoutMs: 600_000 }]),
        ]);
        result.error = null;
      } catch (e) {
        result.error = (e as Error).message;
      }
      result.v4 = Object.keys(await held(dump, 'raw-v4')).length;
      result.v6 = Object.keys(await held(dump, 'raw-v6')).length;
      // A bad element in a later message of another set aborts the earlier, valid messages too.
      try {
        await writer.apply([
          elementChange('add', 'raw-v4', good),
          elementChange('add', 'raw-v6', [{ key: v6(1), timeoutMs: 600_000 }]),
          elementChange('add', 'raw-v6', [{ key: v4(1), timeoutMs: 600_000 }]),
        ]);
        result.error2 = null;
      } catch (e) {
        result.error2 = (e as Error).message;
      }
      result.v4after2 = Object.keys(await held(dump, 'raw-v4')).length;
      await writer.apply([elementChange('add', 'raw-v4', good)]);
      result.v4good = Object.keys(await held(dump, 'raw-v4')).length;
    } else if (scenario === 'timeouts') {
      await writer.apply([
        elementChange('add', 'raw-v4', [{ key: v4(1), timeoutMs: 600_000 }, { key: v4(2), timeoutMs: null }]),
        elementChange('add', 'raw-v6', [{ key: v6(1), timeoutMs: 90_000 }, { key: v6(2), timeoutMs: null }]),
      ]);
      result.v4 = await held(dump, 'raw-v4');
      result.v6 = await held(dump, 'raw-v6');
      const one = [{ key: v6(1), timeoutMs: null }];
      await writer.apply([elementChange('add', 'raw-v6', one), elementChange('delete', 'raw-v6', one)]);
      result.v6deleted = await held(dump, 'raw-v6');
    } else {
      throw new Error(`unknown scenario ${scenario}`);
    }
  } finally {
    dump.close();
    await conn.close();
    await driver.close();
  }
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

await main();
