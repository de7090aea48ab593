/**
 * Reading what the kernel holds, the same way for both tools: the element
 * count of an nftables set, and `nft monitor` notifications of added elements,
 * both inside the tool's namespace.
 */
import { spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Netns } from '../../test/support/netns.js';

/** Number of elements in `family table set` in the namespace; 0 when the set does not exist. */
export function setSize(ns: Netns, family: string, table: string, set: string): number {
  const r = spawnSync('ip', ['netns', 'exec', ns.name, 'nft', '-j', 'list', 'set', family, table, set], { encoding: 'utf8', maxBuffer: 512 * 1024 * 1024 });
  if (r.status !== 0) return 0;
  const doc = JSON.parse(r.stdout) as { nftables: { set?: { elem?: unknown[] } }[] };
  return doc.nftables.find((o) => o.set)?.set?.elem?.length ?? 0;
}

/** Polls `setSize` until it reaches `count` or `capMs` passes; resolves to the time taken (ms) and the size seen last. */
export async function waitForSize(ns: Netns, family: string, table: string, set: string, count: number, t0: number, capMs: number): Promise<{ ms: number; size: number }> {
  let size = 0;
  for (;;) {
    size = setSize(ns, family, table, set);
    const now = performance.now();
    if (size >= count || now - t0 > capMs) return { ms: now - t0, size };
    await new Promise((r) => setTimeout(r, size > 10_000 ? 500 : 100));
  }
}

/**
 * Follows `nft monitor elements` in the namespace and resolves `expect(addr)`
 * when an added element with that address is announced (its time on `clock`,
 * default performance.now()), or NaN after `timeoutMs`. `stop()` ends the monitor.
 */
export class ElementMonitor {
  private readonly waiting = new Map<string, (t: number) => void>();
  private readonly stopChild: () => void;

  constructor(ns: Netns, clock: () => number = () => performance.now()) {
    const child = ns.spawn('nft', ['monitor', 'elements'], { stdio: ['ignore', 'pipe', 'ignore'] });
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const at = clock();
      if (!line.startsWith('add element')) return;
      for (const [addr, done] of this.waiting) {
        if (new RegExp(`[{ ,]${addr.replace(/[.:]/g, '\\$&')}[ ,}]`).test(line)) {
          this.waiting.delete(addr);
          done(at);
        }
      }
    });
    this.stopChild = () => child.kill();
  }

  /** Registers interest in `addr` before the line is written; the promise gives the announcement time. */
  expect(addr: string, timeoutMs: number): Promise<number> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => { this.waiting.delete(addr); resolve(NaN); }, timeoutMs);
      this.waiting.set(addr, (t) => { clearTimeout(timer); resolve(t); });
    });
  }

  stop(): void {
    this.stopChild();
  }
}
