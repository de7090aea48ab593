/**
 * Runs one benchmark module in its own process for the runner (bench/run.ts),
 * so that a crash, a stray `process.exit` or a memory figure of one module
 * cannot touch another. The module and all it starts run in a Debian server's
 * environment (bench/support/debian-env.ts). Sends `{ section }` or `{ error }` over the IPC channel.
 */
import { pathToFileURL } from 'node:url';
import { useDebianEnv } from './support/debian-env.js';
import type { BenchModule, BenchSection } from './types.js';

/** What the child reports to the runner. */
export type ChildReport = { readonly section: BenchSection } | { readonly error: string };

async function runFile(file: string): Promise<ChildReport> {
  try {
    const mod = (await import(pathToFileURL(file).href)) as { bench?: Partial<BenchModule> };
    const bench = mod.bench;
    if (!bench || typeof bench.run !== 'function' || typeof bench.name !== 'string') {
      return { error: `${file} does not export \`bench: BenchModule\` ({ name, run })` };
    }
    return { section: await bench.run() };
  } catch (e) {
    return { error: e instanceof Error ? (e.stack ?? e.message) : String(e) };
  }
}

const file = process.argv[2];
if (file !== undefined && process.send) {
  useDebianEnv();
  const report = await runFile(file);
  // Exit once the report is out: a module that leaves a timer or socket behind must not hang the run.
  process.send(report, () => process.exit(0));
}
