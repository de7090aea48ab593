/**
 * Actions off the ban path: the latency of a ban (submit → recorded and in the kernel, here the
 * null driver so only f2b-fw's own work is timed) without actions and with three reporting
 * actions whose peer answers slowly; then 1,000 bans → 1,000 webhook reports delivered through
 * the outbox to a real local HTTP server (time to the last, peak concurrent requests).
 */
import { createServer } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { pino } from 'pino';
import { BanStore } from '../src/bans/store.js';
import { BanManager } from '../src/bans/manager.js';
import { KernelQueue } from '../src/bans/kernel-queue.js';
import { NullDriver } from '../src/fw/null.js';
import { systemClock, systemTimers } from '../src/core/clock.js';
import { Outbox } from '../src/outbox/outbox.js';
import { OutboxWorker } from '../src/outbox/worker.js';
import { ActionHub } from '../src/actions/hub.js';
import { createExecutor } from '../src/actions/factory.js';
import type { ClassifiedAction } from '../src/actions/classify.js';
import type { BenchModule } from './types.js';

const log = pino({ level: 'silent' });

function webhook(jail: string, name: string, url: string): ClassifiedAction {
  return {
    jail, name, kind: 'reporter', reporter: 'webhook', reason: 'bench',
    ref: { name, file: 'webhook', args: new Map([['url', url], ['actname', name]]), text: name, pos: { file: 'bench' } },
  };
}

/** A local peer answering after `delayMs`, counting requests and the most at once. */
async function peer(delayMs: number) {
  let now = 0;
  const stats = { got: 0, peak: 0 };
  const server = createServer((req, res) => {
    now++;
    stats.peak = Math.max(stats.peak, now);
    req.resume();
    req.on('end', () => setTimeout(() => { stats.got++; now--; res.end('ok'); }, delayMs));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { stats, url: `http://127.0.0.1:${(server.address() as { port: number }).port}/`, close: () => new Promise((r) => server.close(r)) };
}

/** A store, manager and (optionally) hub with `actions` for jail `bench`. */
function setup(dir: string, actions: readonly ClassifiedAction[]) {
  const store = BanStore.open(join(dir, `f2b-${actions.length}.sqlite3`));
  const hub = new ActionHub({
    outbox: new Outbox(store.database), clock: systemClock, timers: systemTimers, log,
    executor: (a) => createExecutor(a, { clock: systemClock, timers: systemTimers, log }),
  });
  hub.configure(new Map([['bench', actions]]));
  const manager = new BanManager({
    store, clock: systemClock, log, driver: new NullDriver(systemClock), kernel: new KernelQueue(),
    onKernelError: () => undefined, ...(actions.length > 0 ? { events: hub } : {}),
  });
  return { store, hub, manager };
}

async function latencies(manager: BanManager, n: number, base: number): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await manager.submit({ op: 'ban', jail: 'bench', addr: `10.${base}.${i >> 8}.${i & 255}`, ttl: 600, reason: 'bench', matches: [`FAIL login from x ${i}`] });
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

export const bench: BenchModule = {
  name: 'actions',
  async run() {
    const dir = mkdtempSync(join(tmpdir(), 'f2b-bench-actions-'));
    const slow = await peer(500);
    const fast = await peer(5);
    try {
      const none = setup(dir, []);
      const without = await latencies(none.manager, 300, 1);
      none.store.close();
      const three = setup(dir, ['a', 'b', 'c'].map((n) => webhook('bench', n, slow.url)));
      await three.hub.start();
      const withThree = await latencies(three.manager, 300, 2);
      await three.hub.stop();
      three.store.close();

      const one = setup(dir, [webhook('bench', 'hook', fast.url)]);
      await one.hub.start();
      const t0 = performance.now();
      const cpu0 = process.cpuUsage();
      await Promise.all(Array.from({ length: 1000 }, (_, i) => one.manager.submit({
        op: 'ban', jail: 'bench', addr: `10.9.${i >> 8}.${i & 255}`, ttl: 600, reason: 'bench', matches: [],
      })));
      while (fast.stats.got < 1000) await new Promise((r) => setTimeout(r, 10));
      const deliverS = (performance.now() - t0) / 1000;
      const cpu = process.cpuUsage(cpu0);
      const deliverCpuS = (cpu.user + cpu.system) / 1e6;
      await one.hub.stop();
      one.store.close();

      // The outbox alone: 1,000 entries through a worker whose delivery is immediate.
      const bare = BanStore.open(join(dir, 'bare.sqlite3'));
      const box = new Outbox(bare.database);
      let done = 0;
      let finished: () => void = () => undefined;
      const all = new Promise<void>((r) => { finished = r; });
      const worker = new OutboxWorker({
        outbox: box, channel: 'bench', clock: systemClock, timers: systemTimers, log,
        deliver: async () => ({ kind: 'done' }), onOutcome: () => { if (++done === 1000) finished(); },
      });
      worker.start();
      const t1 = performance.now();
      box.enqueue(Array.from({ length: 1000 }, (_, i) => ({ channel: 'bench', dedupeKey: `k${i}`, orderKey: `a${i % 100}`, payload: { i } })));
      await all;
      const outboxS = (performance.now() - t1) / 1000;
      await worker.stop();
      bare.close();
      return {
        title: 'Actions off the ban path',
        command: 'npm run bench -- actions',
        figures: [
          { name: 'ban latency (submit → store + kernel), median, no actions', value: without, unit: 'ms' },
          { name: 'ban latency, median, three webhook actions on a 500 ms peer', value: withThree, unit: 'ms' },
          { name: '1,000 bans → 1,000 webhook reports delivered', value: deliverS, unit: 's' },
          { name: '… CPU time of this process for them (user + system; the peer runs in it too)', value: deliverCpuS, unit: 's' },
          { name: 'peak concurrent report requests (one webhook action, up to 16 at once)', value: fast.stats.peak, unit: 'requests' },
          { name: '1,000 entries through the outbox worker, delivery immediate (queue overhead alone)', value: outboxS, unit: 's' },
        ],
        notes: [
          'In-process: BanManager with the null driver (kernel time excluded, so the figure is what actions could add), SQLite store in a temp dir, webhook reporters to a local HTTP server.',
          'The worker reads only as many due entries as it has free slots (the running ones left out in SQL; it used to read and parse free + running + 32 rows on every completion), and HTTP reporters deliver up to 16 at once (addresses in parallel, one address always in order; command actions keep 4). Back to back at load average 13 on the shared 2 cores, before → after: peak concurrency 4 → 9, CPU time 2.42 → 2.14 s, wall time 6.6 → 8.7 s: the wall time is set by the machine\'s load (the process waits for a core most of the time), not by the outbox.',
          'The outbox figure is the queue\'s own cost (one SQLite commit per delivered entry).',
          'Reports are queued in the same store transaction as their bans and sent after the kernel step, so a slow peer never adds to the ban.',
        ],
      };
    } finally {
      await slow.close();
      await fast.close();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
