/**
 * End to end, measured from the outside (issue 12): every row of the issue's
 * table. The team's shared harness (`../shared/bench/bench-ban.mjs`, see its
 * README) runs each daemon in a private network namespace, writes failure
 * lines into the log it follows and reads the kernel until the address is
 * there. f2b-fw runs through the harness's `generic` adapter; sshguard and
 * fail2ban (Debian's packages, installed here if missing, never started as
 * services) run in the same invocation of this module, so every ratio
 * compares figures of one run. The rows the harness has no scenario for
 * (CLI commands, catch-up of a backlog) run as processes in a namespace of
 * their own (support/outside-daemon.ts); test-filter and fail2ban-regex are
 * plain processes on a generated auth.log.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { BUNDLE_ENTRY } from '../src/core/paths.js';
import { debianEnvNote, removedEnv } from './support/debian-env.js';
import { generateAuthLog } from './auth-log.js';
import type { BenchModule, BenchSection } from './types.js';
import { e2eFigures, toolRow, type E2eMeasured, type FilterRun } from './support/e2e-figures.js';
import { harnessDir, peersInstalled, type HarnessResult } from './support/harness.js';
import type { OutsideJob, OutsideResult } from './support/outside-daemon.js';
import { timeProcess } from './support/process-time.js';

/** f2b-fw's storms: the issue's two targets. The peers get the size they manage in minutes. */
const STORMS = [10_000, 100_000];
const BIG_STORM = STORMS[STORMS.length - 1]!;
const PEER_STORM = 1000;
const LATENCY_IPS = 40;
const FILTER_LINES = [200_000, 1_000_000];
const CATCH_UP_LINES = 1_000_000;
const CLI_RUNS = 15;
/** Per mass scenario (ms): 100,000 bans and their restore must fit, a stuck daemon must not hang the run. */
const MASS_TIMEOUT_MS = 300_000;
const OUTSIDE = fileURLToPath(new URL('./support/outside-daemon.js', import.meta.url));
const FAIL2BAN_SSHD = '/etc/fail2ban/filter.d/sshd.conf';

/** The harness's `generic` options that describe f2b-fw: config, start, ready and ban commands. */
function f2bfwArgs(banCmd?: string): string[] {
  const conf = '[DEFAULT]\\nbantime = 1h\\n[sshd]\\nenabled = true\\nfilter = sshd\\nport = 22\\nlogpath = {log}\\nmaxretry = 5\\nfindtime = 10m\\n';
  const paths = '--db {workdir}/db.sqlite3 --socket {workdir}/s.sock';
  return [
    '--tool', 'generic',
    '--setup-cmd', `mkdir -p {workdir}/etc && printf '${conf}' > {workdir}/etc/jail.local`,
    '--start-cmd', `node ${BUNDLE_ENTRY} run --config-dir {workdir}/etc ${paths} --pidfile {workdir}/f2b-fw.pid --logtarget {workdir}/f2b-fw.log`,
    '--ready-cmd', `node ${BUNDLE_ENTRY} ping --socket {workdir}/s.sock`,
    ...(banCmd ? ['--ban-cmd', banCmd] : []),
  ];
}

let namespaces = 0;
/** Runs `argv` in a fresh network namespace named after this module (the harness's run-in-netns.sh). */
function inNetns(dir: string, argv: readonly string[], env: NodeJS.ProcessEnv = {}): string {
  const r = spawnSync('bash', [join(dir, 'run-in-netns.sh'), ...argv], {
    cwd: dir, env: { ...process.env, ...env, BENCH_NETNS: `f2b-bench-e2e-${process.pid}-${namespaces++}` },
    encoding: 'utf8', maxBuffer: 1 << 26, timeout: 1_800_000,
  });
  if (r.status !== 0) throw new Error(`${argv.slice(0, 6).join(' ')} in a namespace failed (${r.status ?? r.signal}): ${(r.stderr ?? '').slice(-1500)}`);
  return r.stdout;
}

/** Runs one harness invocation and returns its parsed results (one per scenario). */
function runHarness(dir: string, work: string, args: readonly string[], log: (t: string) => void): HarnessResult[] {
  const out = mkdtempSync(join(work, 'results-'));
  log(`harness: ${args.filter((a) => !a.includes('{')).join(' ')}`);
  inNetns(dir, ['node', 'bench-ban.mjs', ...args, '--workroot', join(work, 'harness'), '--mass-timeout', String(MASS_TIMEOUT_MS)], { BENCH_RESULTS: out });
  return readdirSync(out).sort().flatMap((f) => (JSON.parse(readFileSync(join(out, f), 'utf8')) as { results: HarnessResult[] }).results);
}

/** The addresses the harness's massban scenarios use (its seed `1-mass`), written one per line for `ban --file`. */
async function massAddresses(dir: string, n: number, file: string): Promise<void> {
  const { distinctIps } = (await import(pathToFileURL(join(dir, 'lib', 'prng.mjs')).href)) as { distinctIps: (n: number, o: { seed: string }) => string[] };
  const canon = (ip: string): string => (ip.includes(':') ? new URL(`http://[${ip}]/`).hostname.slice(1, -1) : ip);
  writeFileSync(file, `${distinctIps(n, { seed: '1-mass' }).map(canon).join('\n')}\n`);
}

/** test-filter on generated logs of each size, and fail2ban-regex on the smallest when it is installed. */
function filterRuns(work: string, fail2ban: boolean, log: (t: string) => void): { testFilter: FilterRun[]; fail2banRegex?: FilterRun } {
  const testFilter: FilterRun[] = [];
  let fail2banRegex: FilterRun | undefined;
  for (const lines of FILTER_LINES) {
    const file = join(work, `auth-${lines}.log`);
    writeFileSync(file, `${generateAuthLog(lines).lines.join('\n')}\n`);
    log(`test-filter on ${lines} lines`);
    const t = timeProcess([process.execPath, BUNDLE_ENTRY, 'test-filter', file, 'sshd'], (s) => s === 0 || s === 1);
    testFilter.push({ lines, wallS: t.wallS, cpuS: t.cpuS });
    if (fail2ban && lines === FILTER_LINES[0]) {
      log(`fail2ban-regex on ${lines} lines`);
      const p = timeProcess(['fail2ban-regex', file, FAIL2BAN_SSHD]);
      fail2banRegex = { lines, wallS: p.wallS, cpuS: p.cpuS };
    }
    rmSync(file, { force: true });
  }
  return { testFilter, ...(fail2banRegex ? { fail2banRegex } : {}) };
}

async function measure(dir: string, work: string, log: (t: string) => void, notes: string[]): Promise<E2eMeasured> {
  const latency = ['--ips', String(LATENCY_IPS), '--gap', '150', '--jitter', '300', '--settle', '800'];
  const banFile = join(work, 'mass.txt');
  await massAddresses(dir, BIG_STORM, banFile);
  const f2bfw = toolRow([
    ...runHarness(dir, work, [...f2bfwArgs(), '--scenario', 'latency,massban-log', '--mass', String(STORMS[0]), ...latency], log),
    ...STORMS.slice(1).flatMap((n) => runHarness(dir, work, [...f2bfwArgs(), '--scenario', 'massban-log', '--mass', String(n), '--settle', '800'], log)),
    ...runHarness(dir, work, [...f2bfwArgs(`node ${BUNDLE_ENTRY} ban sshd --file ${banFile} --socket {workdir}/s.sock`),
      '--scenario', 'massban-cmd', '--mass', String(BIG_STORM), '--settle', '800', '--no-restore'], log),
  ]);
  const peers = peersInstalled(log);
  const sshguard = peers.sshguard
    ? toolRow(runHarness(dir, work, ['--tool', 'sshguard', '--scenario', 'latency,massban-log', '--mass', String(PEER_STORM), ...latency], log))
    : undefined;
  if (!peers.sshguard) notes.push(`sshguard: ${peers.why.sshguard}`);
  const fail2ban = peers.fail2ban
    ? toolRow(runHarness(dir, work, ['--tool', 'fail2ban', '--scenario', 'latency,massban-log,massban-cmd', '--ips', '10', '--jitter', '2500', '--mass', String(PEER_STORM)], log))
    : undefined;
  if (!peers.fail2ban) notes.push(`fail2ban: ${peers.why.fail2ban}`);
  log(`catch-up of ${CATCH_UP_LINES} lines and CLI processes`);
  const job: OutsideJob = { cli: BUNDLE_ENTRY, workdir: join(work, 'outside'), lines: CATCH_UP_LINES, cliRuns: CLI_RUNS, devEnv: removedEnv() };
  const outside = JSON.parse(inNetns(dir, [process.execPath, OUTSIDE, JSON.stringify(job)])) as OutsideResult;
  return { f2bfw, ...(sshguard ? { sshguard } : {}), ...(fail2ban ? { fail2ban } : {}), outside, ...filterRuns(work, peers.fail2ban, log) };
}

const TITLE = 'End to end, from the outside (shared harness)';

export const bench: BenchModule = {
  name: 'e2e',
  async run(): Promise<BenchSection> {
    const log = (t: string): void => void process.stderr.write(`e2e: ${t}\n`);
    const dir = harnessDir();
    if (!dir) return { title: TITLE, command: 'npm run bench -- e2e', figures: [], notes: ['The shared harness (../shared/bench/bench-ban.mjs, or F2B_BENCH_HARNESS) is not at hand: nothing measured.'] };
    const notes: string[] = [];
    const load0 = loadavg();
    const work = mkdtempSync(join(tmpdir(), 'f2b-bench-e2e-'));
    let m: E2eMeasured;
    try {
      m = await measure(dir, work, log, notes);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
    const load1 = loadavg();
    const o = m.outside;
    notes.push(
      `Harness (${dir}): each tool in a private network namespace, failure lines appended to the log it follows in one write(); a ban is timed by \`nft monitor\` (the event of the element's addition) and cross-checked by a poll of \`nft -j -i\` every 2 ms, which cannot see below ~1 ms.`,
      `f2b-fw: \`f2b-fw run\` on one sshd jail (maxretry 5), nftables backend, its own defaults otherwise; latency over ${LATENCY_IPS} addresses after a cold first one; storms of ${STORMS.join(' and ')} addresses × 5 lines in one write, RSS read 0.5 s after the last address reached the kernel, then stop, \`nft flush ruleset\` and start again (restore from its database); \`ban sshd --file\` gets the ${BIG_STORM.toLocaleString('en-US')} addresses of the same list from a file (the harness pastes {ips} into one \`bash -c\` argument, which holds ~5,000 at most).`,
      `Peers in the same run: sshguard (sshg-fw-nft-sets) and fail2ban (nftables-multiport), Debian's packages, started by the harness only; their storms are ${PEER_STORM} addresses (what they manage in minutes), so their rows compare rates (bans/s), not totals.`,
      `Outside the harness, in a namespace of its own (bench/support/outside-daemon.ts): \`f2b-fw ping\`/\`status\`/\`status sshd\`/\`ban sshd IP\` as processes against a running daemon, median of ${CLI_RUNS} (a new address per ban), next to \`nft list tables\` and \`node -e 0\`; CPU time from bash's \`times\`. Catch-up: the daemon stopped, ${CATCH_UP_LINES.toLocaleString('en-US')} lines (bench/auth-log.ts, ~10 % sshd failures, ending now) appended, the daemon started: process start → the element of the last five lines' address in the kernel${o ? ` (${(o.catchUp.sentinelMs ?? NaN).toFixed(0)} ms, of which start → ready without a backlog takes ~${o.startReadyMs.toFixed(0)} ms)` : ''}.`,
      debianEnvNote(),
      `test-filter: \`node dist/bundle/f2b-fw.cjs test-filter FILE sshd\` on generated auth.logs of ${FILTER_LINES.map((n) => n.toLocaleString('en-US')).join(' and ')} lines; fail2ban-regex (Debian's package) with its sshd filter on the first.`,
      `Load average (1 min) ${load0[0]!.toFixed(2)} before, ${load1[0]!.toFixed(2)} after, on ${cpus().length} cores: wall times grow with it, the CPU-time rows less so.`,
    );
    return { title: TITLE, command: 'npm run bench -- e2e', figures: e2eFigures(m), notes };
  },
};

