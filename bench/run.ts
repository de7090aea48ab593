/**
 * The benchmark runner: `npm run bench [-- NAME...]`.
 *
 * Finds the compiled `*.bench.js` modules next to this file, runs all of them
 * (or those named) one after the other, each in its own process, and writes
 * docs/benchmarks.md with the machine and one table per module. A module that
 * throws, cannot be loaded, crashes or overruns `--timeout` gets its error
 * written into the document instead of figures; the run goes on. Options (for
 * tests and ad-hoc runs): `--dir DIR` where the modules are, `--out FILE` where
 * the document goes, `--timeout S` per module (default 1800), `--list`.
 */
import { fork } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { PACKAGE_ROOT } from '../src/core/paths.js';
import { machineInfo } from './machine.js';
import { renderDocument, type ModuleOutcome } from './report.js';
import type { ChildReport } from './child.js';

/** A module still running after this long (s) is killed and recorded as failed. */
const DEFAULT_TIMEOUT_S = 1800;
/** After SIGTERM to an overrunning module's process group, how long (ms) its helpers get to clean up before SIGKILL. */
const TERM_GRACE_MS = 10_000;

/** The process group of the module running now, for a Ctrl-C of the runner to reach it too. */
let runningGroup: number | undefined;

/** Signals the process group `pid` leads; false when it is gone already. */
function signalGroup(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false;
  }
}

/** A module file found on disk, named by its file (`nft.bench.js` → `nft`). */
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

const CHILD = fileURLToPath(new URL('./child.js', import.meta.url));
/** How much of a failed module's stderr goes into the document. */
const STDERR_TAIL = 4000;

/** Runs one module in a child process (bench/child.ts); never rejects. */
function runOne(found: Found, timeoutS: number, log: (t: string) => void): Promise<ModuleOutcome> {
  const t0 = performance.now();
  const seconds = (): number => (performance.now() - t0) / 1000;
  const before = loadavg()[0]!;
  log(`bench ${found.name}: running`);
  return new Promise((resolve) => {
    // Its own process group: on a timeout the module and everything it started (the shared harness's
    // run-in-netns.sh, daemons in namespaces) get SIGTERM, so they clean up instead of running on as orphans.
    const child = fork(CHILD, [found.file], { stdio: ['ignore', 'inherit', 'pipe', 'ipc'], detached: true });
    runningGroup = child.pid;
    let report: ChildReport | undefined;
    let stderr = '';
    let timedOut = false;
    child.stderr!.on('data', (d: Buffer) => {
      process.stderr.write(d);
      stderr = (stderr + d.toString()).slice(-STDERR_TAIL);
    });
    child.on('message', (m: ChildReport) => (report = m));
    const timer = setTimeout(() => {
      timedOut = true;
      if (child.pid === undefined || !signalGroup(child.pid, 'SIGTERM')) child.kill('SIGKILL');
      else setTimeout(() => signalGroup(child.pid!, 'SIGKILL'), TERM_GRACE_MS).unref();
    }, timeoutS * 1000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      runningGroup = undefined;
      let outcome: ModuleOutcome;
      const load = { before, after: loadavg()[0]! };
      if (report && 'section' in report) outcome = { name: found.name, section: report.section, seconds: seconds(), load };
      else {
        const why = report?.error
          ?? (timedOut ? `did not finish within ${timeoutS} s (killed)` : `the module's process ended without a result (${signal ? `signal ${signal}` : `exit code ${code}`})`);
        outcome = { name: found.name, error: report || !stderr ? why : `${why}\n--- stderr (tail) ---\n${stderr.trimEnd()}`, seconds: seconds(), load };
      }
      log('error' in outcome ? `bench ${found.name}: FAILED: ${outcome.error.split('\n')[0]}` : `bench ${found.name}: done in ${seconds().toFixed(1)} s`);
      resolve(outcome);
    });
  });
}

/** Runs the benchmarks a command line asks for; resolves to the exit code. */
export async function runBenchmarks(argv: readonly string[], log: (t: string) => void = (t) => process.stderr.write(`${t}\n`)): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    options: { dir: { type: 'string' }, out: { type: 'string' }, list: { type: 'boolean' }, timeout: { type: 'string' } },
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
  const timeoutS = Number(values.timeout ?? DEFAULT_TIMEOUT_S);
  if (!(timeoutS > 0)) {
    log(`bench: --timeout must be a positive number of seconds, got ${JSON.stringify(values.timeout)}`);
    return 2;
  }
  const chosen = positionals.length === 0 ? all : all.filter((f) => positionals.includes(f.name));
  // Read before the modules run: a commit made during a long run must not be named as the one measured.
  const machine = machineInfo(new Date());
  const outcomes: ModuleOutcome[] = [];
  for (const found of chosen) outcomes.push(await runOne(found, timeoutS, log));
  const previous = existsSync(out) ? readFileSync(out, 'utf8') : '';
  writeFileSync(out, renderDocument(machine, outcomes, names, previous));
  const failed = outcomes.filter((o) => 'error' in o).map((o) => o.name);
  log(`bench: wrote ${out}${failed.length > 0 ? `; failed: ${failed.join(', ')} (errors recorded in the document)` : ''}`);
  return 0;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  // The module runs in a process group of its own: pass an interrupt of the runner on to it.
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      if (runningGroup !== undefined) signalGroup(runningGroup, 'SIGTERM');
      process.exit(130);
    });
  }
  // Exit explicitly: a module that leaves a timer or socket behind must not keep the run open.
  runBenchmarks(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      process.stderr.write(`bench: ${errorText(e)}\n`);
      process.exit(1);
    },
  );
}
