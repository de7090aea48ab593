/**
 * Preloaded into a daemon under benchmark (`NODE_OPTIONS=--import …/heap-probe.js`,
 * with F2B_BENCH_HEAP_OUT naming a file): on SIGWINCH (a signal the daemon
 * leaves alone) it writes the V8 heap's spaces and code statistics to that file
 * as JSON, then a heap snapshot next to it (`.heapsnapshot`), and last the file
 * `<out>.done`, so the benchmark knows both are complete. Nothing of it runs in
 * the product: it only exists in dist/bench.
 */
import { getHeapCodeStatistics, getHeapSpaceStatistics, writeHeapSnapshot } from 'node:v8';
import { writeFileSync } from 'node:fs';

/** What the probe writes (read by bench/idle.bench.ts). */
export interface HeapProbeReport {
  readonly memory: NodeJS.MemoryUsage;
  /** Per V8 space: committed and used bytes. */
  readonly spaces: readonly { readonly name: string; readonly committed: number; readonly used: number }[];
  /** Bytecode and machine code, and the source text V8 holds for them. */
  readonly code: { readonly code: number; readonly bytecode: number; readonly source: number };
}

const out = process.env.F2B_BENCH_HEAP_OUT;
if (out !== undefined && out !== '') {
  process.on('SIGWINCH', () => {
    const code = getHeapCodeStatistics();
    const report: HeapProbeReport = {
      memory: process.memoryUsage(),
      spaces: getHeapSpaceStatistics().filter((s) => s.space_size > 0)
        .map((s) => ({ name: s.space_name, committed: s.physical_space_size, used: s.space_used_size })),
      code: { code: code.code_and_metadata_size, bytecode: code.bytecode_and_metadata_size, source: code.external_script_source_size },
    };
    writeFileSync(out, JSON.stringify(report));
    writeHeapSnapshot(`${out}.heapsnapshot`);
    writeFileSync(`${out}.done`, '');
  });
}
