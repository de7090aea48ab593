/**
 * End to end, measured from the outside (issue 12): the team's shared harness
 * (`../shared/bench/bench-ban.mjs`, see its README) runs each daemon in a
 * private network namespace, writes failure lines into the log it follows
 * and reads the kernel until the address is there. f2b-fw runs through the
 * harness's `generic` adapter; sshguard and fail2ban (Debian's packages,
 * installed here if missing, never started as services) run in the same
 * invocation of this module, so every ratio compares figures of one run.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../src/core/paths.js';
import type { BenchFigure, BenchModule, BenchSection } from './types.js';
import { harnessDir, peersInstalled, type HarnessResult } from './support/harness.js';

const CLI = join(PACKAGE_ROOT, 'dist', 'src', 'cli', 'main.js');
/** Sizes of the storms: f2b-fw's targets name these; the peers get the size they manage in minutes. */
const STORM = 10_000;
const PEER_STORM = 1000;
/**
 * The harness pastes the ban command's addresses into one `bash -c` string, and one argument may
 * hold at most 128 KiB (MAX_ARG_STRLEN): about 5,000 addresses. The 100,000-address figure is
 * bench/control's, which feeds the client from a file.
 */
const CMD_BANS = 5000;
const LATENCY_IPS = 40;

/** The harness's `generic` options that describe f2b-fw: config, start, ready and ban commands. */
function f2bfwArgs(): string[] {
  const conf = '[DEFAULT]\\nbantime = 1h\\n[sshd]\\nenabled = true\\nfilter = sshd\\nport = 22\\nlogpath = {log}\\nmaxretry = 5\\nfindtime = 10m\\n';
  const paths = '--db {workdir}/db.sqlite3 --socket {workdir}/s.sock';
  return [
    '--tool', 'generic',
    '--setup-cmd', `mkdir -p {workdir}/etc && printf '${conf}' > {workdir}/etc/jail.local`,
    '--start-cmd', `node ${CLI} run --config-dir {workdir}/etc ${paths} --pidfile {workdir}/f2b-fw.pid --logtarget {workdir}/f2b-fw.log`,
    '--ready-cmd', `node ${CLI} ping --socket {workdir}/s.sock`,
    '--ban-cmd', `node ${CLI} ban sshd {ips} --socket {workdir}/s.sock`,
  ];
}

/** Runs one harness invocation and returns its parsed results (one per scenario). */
function runHarness(dir: string, args: readonly string[], log: (t: string) => void): HarnessResult[] {
  const out = mkdtempSync(join(tmpdir(), 'f2b-e2e-'));
  const work = mkdtempSync(join(tmpdir(), 'f2b-e2e-work-'));
  try {
    log(`harness: ${args.filter((a) => !a.includes('{')).join(' ')}`);
    const r = spawnSync('bash', ['run-in-netns.sh', 'node', 'bench-ban.mjs', ...args, '--workroot', work], {
      cwd: dir, env: { ...process.env, BENCH_RESULTS: out }, encoding: 'utf8', maxBuffer: 1 << 26, timeout: 900_000,
    });
    if (r.status !== 0) throw new Error(`bench-ban.mjs ${args.slice(0, 4).join(' ')} failed (${r.status ?? r.signal}): ${(r.stderr ?? '').slice(-1500)}`);
    return readdirSync(out).sort().flatMap((f) => (JSON.parse(readFileSync(join(out, f), 'utf8')) as { results: HarnessResult[] }).results);
  } finally {
    rmSync(out, { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
  }
}

function pick(results: readonly HarnessResult[], scenario: string): HarnessResult | undefined {
  return results.find((r) => r.scenario === scenario && !r.skipped);
}

function p99(r: HarnessResult): number {
  const xs = (r.samples ?? []).filter((s) => !s.cold && s.pollMs !== null).map((s) => s.pollMs as number).sort((a, b) => a - b);
  return xs[Math.min(xs.length - 1, Math.ceil(xs.length * 0.99) - 1)] ?? NaN;
}

const round = (n: number, d = 2): number => Math.round(n * 10 ** d) / 10 ** d;

/** Figures of one tool's run, keyed by row. */
interface Row {
  readonly latencyMedian?: number;
  readonly latencyP99?: number;
  readonly storm?: { n: number; s: number; rssAfter: number; rssHwm: number; rssIdle: number };
  readonly cmd?: { n: number; s: number };
  readonly restore?: { n: number; s: number };
}

function rowOf(results: readonly HarnessResult[]): Row {
  const lat = pick(results, 'latency');
  const log = pick(results, 'massban-log');
  const cmd = pick(results, 'massban-cmd');
  const restoreOf = log?.restore ?? cmd?.restore;
  const restoreN = log?.restore ? log.n : cmd?.n;
  return {
    latencyMedian: lat?.poll?.median,
    latencyP99: lat ? p99(lat) : undefined,
    storm: log && log.allInKernelMs !== null
      ? { n: log.n, s: log.allInKernelMs / 1000, rssAfter: log.memAfter?.rssMB ?? NaN, rssHwm: log.memAfter?.hwmMB ?? NaN, rssIdle: log.memIdle?.rssMB ?? NaN }
      : undefined,
    cmd: cmd && cmd.allInKernelMs !== null ? { n: cmd.n, s: cmd.allInKernelMs / 1000 } : undefined,
    restore: restoreOf && restoreOf.restoredAllMs !== null && restoreN ? { n: restoreN, s: restoreOf.restoredAllMs / 1000 } : undefined,
  };
}

function cmp(label: string, v: number | undefined): BenchFigure['compare'] {
  return v === undefined || Number.isNaN(v) ? undefined : { label, value: round(v) };
}

/** The rows of the document, each with the peer's figure of the same run where it has one. */
function figures(f: Row, sg: Row | undefined, fb: Row | undefined): BenchFigure[] {
  const out: BenchFigure[] = [];
  const add = (name: string, value: number | undefined, unit: string, target?: string, compare?: BenchFigure['compare']): void => {
    if (value !== undefined && !Number.isNaN(value)) out.push({ name, value: round(value), unit, ...(target ? { target } : {}), ...(compare ? { compare } : {}) });
  };
  add('5 lines → kernel, median (vs sshguard)', f.latencyMedian, 'ms', '≤ 1 ms', cmp('sshguard', sg?.latencyMedian));
  add('5 lines → kernel, median (vs fail2ban)', f.latencyMedian, 'ms', undefined, cmp('fail2ban', fb?.latencyMedian));
  add('5 lines → kernel, p99', f.latencyP99, 'ms', '≤ 3 ms', cmp('sshguard', sg?.latencyP99));
  if (f.storm) {
    add(`${f.storm.n} attackers × 5 lines in one write → all in kernel`, f.storm.s * 1000, 'ms', '≤ 150 ms');
    add(`storm of ${f.storm.n}: bans/s (vs peers at ${PEER_STORM})`, f.storm.n / f.storm.s, 'bans/s', undefined,
      cmp('fail2ban', fb?.storm ? fb.storm.n / fb.storm.s : undefined));
    add(`storm of ${f.storm.n}: bans/s (vs sshguard at ${PEER_STORM})`, f.storm.n / f.storm.s, 'bans/s', undefined,
      cmp('sshguard', sg?.storm ? sg.storm.n / sg.storm.s : undefined));
    add('RSS idle before the storm', f.storm.rssIdle, 'MB', '≤ 55 MB', cmp('fail2ban', fb?.storm?.rssIdle));
    add(`RSS after the storm of ${f.storm.n}`, f.storm.rssAfter, 'MB', '≤ 100 MB', cmp(`fail2ban at ${PEER_STORM}`, fb?.storm?.rssAfter));
    add(`RSS peak (VmHWM) during the storm of ${f.storm.n}`, f.storm.rssHwm, 'MB', '≤ 150 MB');
  }
  if (f.restore) add(`restart → ${f.restore.n} bans back in the kernel (process start included)`, f.restore.s, 's', '≤ 0.5 s', cmp(`fail2ban, ${fb?.restore?.n ?? PEER_STORM}`, fb?.restore?.s));
  if (f.cmd) add(`\`f2b-fw ban\` of ${f.cmd.n} addresses (client → kernel)`, f.cmd.s, 's', '≤ 1 s', cmp(`fail2ban, ${fb?.cmd?.n ?? PEER_STORM}`, fb?.cmd?.s));
  return out;
}

export const bench: BenchModule = {
  name: 'e2e',
  async run(): Promise<BenchSection> {
    const log = (t: string): void => void process.stderr.write(`e2e: ${t}\n`);
    const dir = harnessDir();
    const notes: string[] = [];
    if (!dir) {
      return { title: 'End to end, from the outside (shared harness)', command: 'npm run bench -- e2e', figures: [], notes: ['The shared harness (../shared/bench/bench-ban.mjs) is not beside this checkout: nothing measured.'] };
    }
    const load0 = loadavg();
    const latency = ['--scenario', 'latency', '--ips', String(LATENCY_IPS), '--gap', '150', '--jitter', '300', '--settle', '800'];
    const f = rowOf([
      ...runHarness(dir, [...f2bfwArgs(), ...latency], log),
      ...runHarness(dir, [...f2bfwArgs(), '--scenario', 'massban-log', '--mass', String(STORM), '--settle', '800'], log),
      ...runHarness(dir, [...f2bfwArgs(), '--scenario', 'massban-cmd', '--mass', String(CMD_BANS), '--settle', '800', '--no-restore'], log),
    ]);
    let sg: Row | undefined;
    let fb: Row | undefined;
    const peers = peersInstalled(log);
    if (peers.sshguard) {
      sg = rowOf([
        ...runHarness(dir, ['--tool', 'sshguard', ...latency], log),
        ...runHarness(dir, ['--tool', 'sshguard', '--scenario', 'massban-log', '--mass', String(PEER_STORM)], log),
      ]);
    } else notes.push(`sshguard: ${peers.why.sshguard}`);
    if (peers.fail2ban) {
      fb = rowOf([
        ...runHarness(dir, ['--tool', 'fail2ban', '--scenario', 'latency', '--ips', '10', '--jitter', '2500'], log),
        ...runHarness(dir, ['--tool', 'fail2ban', '--scenario', 'massban-log,massban-cmd', '--mass', String(PEER_STORM)], log),
      ]);
    } else notes.push(`fail2ban: ${peers.why.fail2ban}`);
    const load1 = loadavg();
    notes.push(
      `Measured by the shared harness (${existsSync(join(dir, 'README.md')) ? '../shared/bench, see its README' : dir}): each tool in a private network namespace, failure lines appended to the log it follows in one write(), the kernel read every 2 ms (\`nft -j -i\`) until the address is there.`,
      `f2b-fw: one sshd jail (maxretry 5), nftables backend, its own defaults otherwise; latency over ${LATENCY_IPS} addresses after a cold first one; the storm is ${STORM} addresses × 5 lines in one write, then stop, \`nft flush ruleset\` and start (restore); the ban command gets ${CMD_BANS} addresses in one call.`,
      `Peers in the same run: sshguard 2.4 (sshg-fw-nft-sets) and fail2ban 1.0 (nftables-multiport), Debian's packages, started by the harness only; their storms are ${PEER_STORM} addresses (what they manage in minutes).`,
      `Load average (1 min) ${load0[0]!.toFixed(2)} before, ${load1[0]!.toFixed(2)} after, on ${cpus().length} cores.`,
    );
    return { title: 'End to end, from the outside (shared harness)', command: 'npm run bench -- e2e', figures: figures(f, sg, fb), notes };
  },
};
