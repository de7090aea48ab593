/**
 * The end-to-end rows the shared harness has no scenario for, measured the
 * same way from the outside: run inside a private network namespace (by
 * bench/e2e.bench.ts through the harness's run-in-netns.sh), it starts
 * `f2b-fw run` as a process on one sshd jail and times
 * (1) `f2b-fw ping`, `status`, `status sshd` and `ban sshd IP` as processes
 *     against it, next to `nft list tables` (a C netlink client) and `node -e 0`
 *     (with and without the variables of job.devEnv);
 * (2) catch-up: the daemon stopped, LINES lines appended to its log (the
 *     last five a burst for a sentinel address), the daemon started again:
 *     process start → the sentinel's element in the kernel (`nft monitor`),
 *     and the daemon's CPU time until then.
 * Prints one JSON object (OutsideResult) on stdout.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { generateAuthLog } from '../auth-log.js';
import { timeProcess, timeRepeated } from './process-time.js';
import { median } from './stats.js';

/** What the parent passes (argv[2], JSON). */
export interface OutsideJob {
  readonly cli: string;
  readonly workdir: string;
  readonly lines: number;
  readonly cliRuns: number;
  /** Variables this machine sets and a Debian server does not (bench/support/debian-env.ts), removed from the job's environment: one row shows their cost. */
  readonly devEnv: Readonly<Record<string, string>>;
}

/** Median wall and CPU of one command run as a process. */
export interface CliTime { readonly label: string; readonly wallMs: number; readonly cpuMs: number }

/** What the script prints. */
export interface OutsideResult {
  readonly startReadyMs: number;
  readonly cli: readonly CliTime[];
  readonly catchUp: { readonly lines: number; readonly sentinelMs: number | null; readonly cpuS: number | null };
}

const SENTINEL = '192.0.2.250';
const DEADLINE_MS = 180_000;

function syslog(t: number, body: string): string {
  return `${new Date(t).toUTCString().slice(8, 11)} ${String(new Date(t).getUTCDate()).padStart(2, ' ')} ${new Date(t).toISOString().slice(11, 19)} web1 ${body}`;
}

function cpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return null;
  }
}

class Daemon {
  private child: ChildProcess | undefined;
  constructor(private readonly job: OutsideJob) {}
  get socket(): string { return join(this.job.workdir, 's.sock'); }
  start(): ChildProcess {
    const d = this.job.workdir;
    this.child = spawn(process.execPath, [this.job.cli, 'run', '--config-dir', join(d, 'etc'), '--db', join(d, 'db.sqlite3'), '--socket', this.socket,
      '--pidfile', join(d, 'f2b-fw.pid'), '--logtarget', join(d, 'f2b-fw.log')], { stdio: 'ignore' });
    return this.child;
  }
  async ready(): Promise<void> {
    for (const t0 = Date.now(); Date.now() - t0 < DEADLINE_MS; await sleep(5)) {
      if (spawnSync(process.execPath, [this.job.cli, 'ping', '--socket', this.socket]).status === 0) return;
      if (this.child?.exitCode !== null) throw new Error(`f2b-fw run exited ${this.child?.exitCode}; see ${this.job.workdir}/f2b-fw.log`);
    }
    throw new Error(`f2b-fw run not ready after ${DEADLINE_MS} ms`);
  }
  async stop(): Promise<void> {
    const c = this.child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const gone = new Promise((r) => c.once('exit', r));
    c.kill('SIGTERM');
    if (await Promise.race([gone.then(() => true), sleep(30_000).then(() => false)]) === false) c.kill('SIGKILL');
    await gone;
  }
}

/** Resolves with the monotonic ms at which `nft monitor` reports an element holding `ip`. */
function watchElement(ip: string): { seen: Promise<number>; close: () => void } {
  const mon = spawn('nft', ['monitor'], { stdio: ['ignore', 'pipe', 'ignore'] });
  const seen = new Promise<number>((resolve) => {
    createInterface({ input: mon.stdout! }).on('line', (l) => {
      if (/^add element/.test(l) && new RegExp(`[^\\d.]${ip.replace(/\./g, '\\.')}[^\\d.]`).test(` ${l} `)) resolve(performance.now());
    });
  });
  return { seen, close: () => void mon.kill() };
}

function cliTimes(job: OutsideJob, socket: string): CliTime[] {
  const cli = (...a: string[]): string[] => [process.execPath, job.cli, ...a, '--socket', socket];
  const rows: CliTime[] = [
    { label: 'nft list tables', ...timeRepeated(['nft', 'list', 'tables'], job.cliRuns) },
    { label: 'node -e 0', ...timeRepeated([process.execPath, '-e', '0'], job.cliRuns) },
    ...(Object.keys(job.devEnv).length === 0 ? [] : [{
      label: `node -e 0 with ${Object.keys(job.devEnv).join(', ')} set`,
      ...timeRepeated([process.execPath, '-e', '0'], job.cliRuns, { ...process.env, ...job.devEnv }),
    }]),
    { label: 'ping', ...timeRepeated(cli('ping'), job.cliRuns) },
    { label: 'status', ...timeRepeated(cli('status'), job.cliRuns) },
    { label: 'status sshd', ...timeRepeated(cli('status', 'sshd'), job.cliRuns) },
  ];
  // A new address each run: a repeated ban would be an idempotent no-op.
  const bans = Array.from({ length: job.cliRuns }, (_, i) => timeProcess(cli('ban', 'sshd', `198.51.100.${10 + i}`)));
  rows.push({ label: 'ban sshd IP', wallMs: median(bans.map((b) => b.wallS)) * 1000, cpuMs: median(bans.map((b) => b.cpuS)) * 1000 });
  return rows;
}

async function main(job: OutsideJob): Promise<OutsideResult> {
  mkdirSync(join(job.workdir, 'etc'), { recursive: true });
  const log = join(job.workdir, 'auth.log');
  writeFileSync(join(job.workdir, 'etc', 'jail.local'),
    `[DEFAULT]\nbantime = 1h\n[sshd]\nenabled = true\nfilter = sshd\nport = 22\nlogpath = ${log}\nmaxretry = 5\nfindtime = 10m\nlogtimezone = UTC\n`);
  writeFileSync(log, `${syslog(Date.now(), 'sshd[1]: Server listening on 0.0.0.0 port 22.')}\n`);
  const d = new Daemon(job);
  try {
    return await measure(job, d, log);
  } finally {
    await d.stop();
  }
}

async function measure(job: OutsideJob, d: Daemon, log: string): Promise<OutsideResult> {
  const t0 = performance.now();
  d.start();
  await d.ready();
  const startReadyMs = performance.now() - t0;
  const cli = cliTimes(job, d.socket);
  await d.stop();
  // The backlog ends now (one line per second on average before), so its last minutes count too.
  const now = Date.now();
  const backlog = generateAuthLog(job.lines - 5, now - (job.lines - 5) * 1000);
  const burst = Array.from({ length: 5 }, (_, i) => syslog(now, `sshd[${4000 + i}]: Failed password for invalid user admin from ${SENTINEL} port ${40000 + i} ssh2`));
  appendFileSync(log, `${backlog.lines.join('\n')}\n${burst.join('\n')}\n`);
  const watch = watchElement(SENTINEL);
  await sleep(200); // nft monitor subscribed
  const t1 = performance.now();
  const child = d.start();
  const at = await Promise.race([watch.seen, sleep(DEADLINE_MS).then(() => null)]);
  const cpuS = child.pid === undefined ? null : cpuSeconds(child.pid);
  watch.close();
  return { startReadyMs, cli, catchUp: { lines: job.lines, sentinelMs: at === null ? null : at - t1, cpuS } };
}

const arg = process.argv[2];
if (arg !== undefined) process.stdout.write(`${JSON.stringify(await main(JSON.parse(arg) as OutsideJob))}\n`);
