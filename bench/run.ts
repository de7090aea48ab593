/**
 * The benchmark runner: `npm run bench [-- NAME...]`.
 *
 * Finds the compiled `*.bench.js` modules next to this file, runs all of them
 * (or those named) one after the other, and writes docs/benchmarks.md with the
 * machine and one table per module. A module that throws, or cannot even be
 * loaded, gets its error written into the document instead of figures; the run
 * goes on. Options (for tests and ad-hoc runs): `--dir DIR` where the modules
 * are, `--out FILE` where the document goes, `--list` to print the names.
 */
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { PACKAGE_ROOT } from '../src/core/paths.js';
import { machineInfo } from './machine.js';
import { renderDocument, type ModuleOutcome } from './report.js';
import type { BenchModule } from './types.js';

/** A module file found on disk, named by its file (`nft.bench.js` → `nft`) until loaded. */
interface Found {
  readonly name: string;
  readonly file: string;
}

function discover(dir: string): Found[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.bench.js'))
    .sort()
    .map((f) => ({ name: f.slice(0, -'.bench.js'.length), file: join(dir, f) }));
}

function errorText(e: unknown): string {
  return e instanceof Error ? (e.stack ?? e.message) : String(e);
}

async function load(found: Found): Promise<BenchModule> {
  const mod = (await import(pathToFileURL(found.file).href)) as { bench?: Partial<BenchModule> };
  const bench = mod.bench;
  if (!bench || typeof bench.run !== 'function' || typeof bench.name !== 'string') {
    throw new Error(`${found.file} does not export \`bench: BenchModule\` ({ name, run })`);
  }
  return bench as BenchModule;
}

async function runOne(found: Found, log: (t: string) => void): Promise<ModuleOutcome> {
  const t0 = performance.now();
  const seconds = (): number => (performance.now() - t0) / 1000;
  try {
    const bench = await load(found);
    log(`bench ${found.name}: running`);
    const section = await bench.run();
    log(`bench ${found.name}: done in ${seconds().toFixed(1)} s`);
    return { name: found.name, section, seconds: seconds() };
  } catch (e) {
    log(`bench ${found.name}: FAILED: ${e instanceof Error ? e.message : String(e)}`);
    return { name: found.name, error: errorText(e), seconds: seconds() };
  }
}

/** Runs the benchmarks a command line asks for; resolves to the exit code. */
export async function runBenchmarks(argv: readonly string[], log: (t: string) => void = (t) => process.stderr.write(`${t}\n`)): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    options: { dir: { type: 'string' }, out: { type: 'string' }, list: { type: 'boolean' } },
    allowPositionals: true,
  });
  const dir = values.dir ?? dirname(fileURLToPath(import.meta.url));
  const out = values.out ?? join(PACKAGE_ROOT, 'docs', 'benchmarks.md');
  const all = discover(dir);
  const names = all.map((f) => f.name);
  if (values.list) {
    log(names.join('\n'));
    return 0;
  }
  const unknown = positionals.filter((p) => !names.includes(p));
  if (unknown.length > 0) {
    log(`bench: no module named ${unknown.join(', ')}; available: ${names.join(', ') || '(none found in ' + dir + ')'}`);
    return 2;
  }
  const chosen = positionals.length === 0 ? all : all.filter((f) => positionals.includes(f.name));
  const started = new Date();
  const outcomes: ModuleOutcome[] = [];
  for (const found of chosen) outcomes.push(await runOne(found, log));
  const previous = existsSync(out) ? readFileSync(out, 'utf8') : '';
  writeFileSync(out, renderDocument(machineInfo(started), outcomes, names, previous));
  const failed = outcomes.filter((o) => 'error' in o).map((o) => o.name);
  log(`bench: wrote ${out}${failed.length > 0 ? `; failed: ${failed.join(', ')} (errors recorded in the document)` : ''}`);
  return 0;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  // Exit explicitly: a module that leaves a timer or socket behind must not keep the run open.
  runBenchmarks(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      process.stderr.write(`bench: ${errorText(e)}\n`);
      process.exit(1);
    },
  );
}
