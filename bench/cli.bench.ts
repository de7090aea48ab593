/**
 * CLI start-up: `f2b-fw ping`, `status`, `status JAIL` and `ban JAIL IP` as whole
 * processes of the bundled program (dist/bundle/f2b-fw.cjs, what package.json
 * `bin` and the .deb run) against a real daemon (its own network namespace,
 * nftables), timed by hyperfine (Debian's package, installed here if missing),
 * next to `node -e 0` (Node's own start-up, the floor; one row with this
 * machine's NODE_EXTRA_CA_CERTS, which a Debian server does not set) and the
 * peer `nft --version` (a C client, ≈ 5 ms). Wall time, with its ratio to the peer, and the process's user CPU
 * time next to Node's, and the instructions each process executes (valgrind's
 * callgrind, all threads): on a shared machine wall and CPU time move with the
 * load, the instruction count does not.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { BUNDLE_ENTRY, CLI_ENTRY, PACKAGE_ROOT } from '../src/core/paths.js';
import { DaemonHarness, jailSection } from '../test/support/daemon-harness.js';
import { debianEnvNote, removedEnv } from './support/debian-env.js';
import type { BenchFigure, BenchModule, BenchSection } from './types.js';

/** The bundle's ESM module with every command, which the bin (BUNDLE_ENTRY) hands all but the client commands to. */
const ESM_MAIN = join(PACKAGE_ROOT, 'dist/bundle/main.js');

const RUNS = 30;

interface Timed { readonly mean: number; readonly median: number; readonly user: number }

function hyperfine(commands: readonly string[], out: string, env: NodeJS.ProcessEnv = process.env): Timed[] {
  const r = spawnSync('hyperfine', ['-N', '--warmup', '3', '--runs', String(RUNS), '--export-json', out, ...commands], { encoding: 'utf8', env });
  if (r.status !== 0) throw new Error(`hyperfine failed: ${r.stderr}`);
  const doc = JSON.parse(readFileSync(out, 'utf8')) as { results: { mean: number; median: number; user: number }[] };
  return doc.results.map((x) => ({ mean: x.mean * 1000, median: x.median * 1000, user: x.user * 1000 }));
}

/** Instructions one run of `command` executes, all threads (callgrind); undefined without valgrind. */
function instructions(command: string, env: NodeJS.ProcessEnv = process.env): number | undefined {
  if (!existsSync('/usr/bin/valgrind')) return undefined;
  const [exe, ...args] = command.split(' ');
  const r = spawnSync('valgrind', ['--tool=callgrind', '--callgrind-out-file=/dev/null', exe!, ...args], { encoding: 'utf8', env });
  const m = /Collected : (\d+)/.exec(r.stderr ?? '');
  return m ? Number(m[1]) : undefined;
}

function ensureHyperfine(): string | undefined {
  if (existsSync('/usr/bin/hyperfine')) return undefined;
  const r = spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', '-o', 'DPkg::Lock::Timeout=600', 'hyperfine'], {
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, encoding: 'utf8',
  });
  return r.status === 0 ? undefined : `apt-get install hyperfine failed: ${(r.stderr ?? '').trim().split('\n').pop()}`;
}

/** `npm run bench -- cli` */
export const bench: BenchModule = {
  name: 'cli',
  async run(): Promise<BenchSection> {
    const missing = ensureHyperfine();
    if (missing !== undefined) throw new Error(missing);
    const d = new DaemonHarness('benchcli', '');
    d.entry = BUNDLE_ENTRY;
    try {
      d.touch(d.path('a.log'));
      d.config.write('jail.local', jailSection('alpha', d.path('a.log')));
      d.config.write('f2b-fw.conf', `[Definition]\nsocket = ${d.socket}\n`);
      await d.start();
      const cli = (args: string, entry = BUNDLE_ENTRY): string => `${process.execPath} ${entry} ${args} --socket ${d.socket}`;
      const fromConf = `${process.execPath} ${BUNDLE_ENTRY} ping --config-dir ${d.config.dir}`;
      const load0 = loadavg();
      const rows: [string, string][] = [
        ['`nft --version` (the peer: a C client)', 'nft --version'],
        ['`node -e 0` (Node start-up alone)', `${process.execPath} -e 0`],
        ['`f2b-fw ping`', cli('ping')],
        ['`f2b-fw ping` through the bundle\'s ESM main.js (9 chunks: what the CommonJS bin saves)', cli('ping', ESM_MAIN)],
        ['`f2b-fw ping` from the tsc tree (dist/src, one file per module)', cli('ping', CLI_ENTRY)],
        ['`f2b-fw ping` (socket read from f2b-fw.conf: `--config-dir`, no `--socket`)', fromConf],
        ['`f2b-fw status`', cli('status')],
        ['`f2b-fw status alpha`', cli('status alpha')],
        ['`f2b-fw ban alpha 192.0.2.7`', cli('ban alpha 192.0.2.7')],
      ];
      const timed = hyperfine(rows.map((r) => r[1]), join(d.config.dir, 'hyperfine.json'));
      const devEnv = { ...process.env, ...removedEnv() };
      const withDevEnv = Object.keys(removedEnv()).length === 0 ? undefined : `\`node -e 0\` with ${Object.keys(removedEnv()).join(', ')} set (this machine's default, not a Debian server's)`;
      const devTimed = withDevEnv === undefined ? undefined : hyperfine([rows[1]![1]], join(d.config.dir, 'hyperfine-env.json'), devEnv)[0];
      const load1 = loadavg();
      const [peer, node] = [timed[0]!, timed[1]!];
      const figures: BenchFigure[] = [];
      rows.forEach(([label], i) => {
        const t = timed[i]!;
        const own = i > 1;
        figures.push({ name: `${label} as a process, wall, median of ${RUNS}`, value: t.median, unit: 'ms',
          ...(own ? { target: '≤ 80 ms', compare: { label: 'nft --version', value: peer.median } } : {}) });
        figures.push({ name: `${label}, user CPU, mean`, value: t.user, unit: 'ms', ...(own ? { compare: { label: 'node -e 0', value: node.user } } : {}) });
      });
      if (withDevEnv !== undefined && devTimed !== undefined) {
        figures.push({ name: `${withDevEnv} as a process, wall, median of ${RUNS}`, value: devTimed.median, unit: 'ms', compare: { label: 'node -e 0', value: node.median } });
        figures.push({ name: `${withDevEnv}, user CPU, mean`, value: devTimed.user, unit: 'ms', compare: { label: 'node -e 0', value: node.user } });
      }
      const nodeInstructions = instructions(rows[1]![1]);
      for (const [label, command] of rows.slice(1)) {
        const n = instructions(command);
        if (n === undefined || nodeInstructions === undefined) continue;
        figures.push({ name: `${label}, instructions executed (callgrind, all threads), millions`, value: Math.round(n / 1e6), unit: 'M',
          ...(command === rows[1]![1] ? {} : { compare: { label: 'node -e 0', value: Math.round(nodeInstructions / 1e6) } }) });
      }
      const devInstructions = withDevEnv === undefined ? undefined : instructions(rows[1]![1], devEnv);
      if (withDevEnv !== undefined && devInstructions !== undefined && nodeInstructions !== undefined) {
        figures.push({ name: `${withDevEnv}, instructions executed (callgrind, all threads), millions`, value: Math.round(devInstructions / 1e6), unit: 'M',
          compare: { label: 'node -e 0', value: Math.round(nodeInstructions / 1e6) } });
      }
      return {
        title: 'CLI start-up (whole processes)',
        command: 'npm run bench -- cli',
        figures,
        notes: [
          `hyperfine -N, ${RUNS} runs after 3 warm-ups each, against a running daemon (nftables, one jail) in a network namespace of its own.`,
          'The commands run the program as package.json `bin` and the .deb\'s /usr/bin/f2b-fw do: dist/bundle/f2b-fw.cjs (`npm run build`), one CommonJS file holding the client commands (ping, status, ban, …; npm packages none), which hands every other command to the bundle\'s ESM main.js (our modules in chunks, npm packages from node_modules). One row runs `ping` through main.js, one from the tsc tree, for comparison.',
          'Client commands load nothing native (no koffi, no better-sqlite3), no logger, and compile one file: the ESM loader resolving, reading and linking 9 chunks cost ≈ 28 M instructions per `ping`, ≈ 55 M with f2b-fw.conf to read. The configuration loader is in f2b-fw.cjs (compiled lazily; run only without `--socket`).',
          'Instructions: one run of each under valgrind --tool=callgrind (the daemon answering), all of the process\'s threads; the difference to `node -e 0` is what f2b-fw adds: compiling f2b-fw.cjs (≈ 7 M), node:util\'s parseArgs (≈ 8 M), node:net, the connect and the answer (≈ 30 M, as a bare CommonJS client doing only that).',
          debianEnvNote(),
          `Machine load (1/5/15-min load average) at the start: ${load0.map((x) => x.toFixed(2)).join(' / ')}, at the end: ${load1.map((x) => x.toFixed(2)).join(' / ')}; on a loaded 2-core machine Node's own start-up dominates the wall time.`,
        ],
      };
    } finally {
      await d.destroy();
    }
  },
};
