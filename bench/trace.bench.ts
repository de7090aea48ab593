/**
 * Trace benchmark (issue 12.1): where the time of a ban goes, stage by stage.
 * A real `f2b-fw run` in a namespace with F2B_FW_TRACE set (src/core/trace.ts);
 * this process timestamps its `write()` of a burst on the same monotonic clock,
 * `nft monitor` in the namespace gives the kernel's element notification, and
 * the daemon's marks, read back at stop, fill in the stages between. Runs:
 * single addresses (5 failure lines each, one write per address) and storms
 * (N addresses × 5 lines in one write), plus the daemon's CPU time per ban.
 */
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import type { BenchFigure, BenchModule, BenchSection } from './types.js';
import { BUNDLE_ENTRY } from '../src/core/paths.js';
import { DaemonHarness, jailSection } from '../test/support/daemon-harness.js';
import { ElementMonitor, setSize } from './support/kernel-watch.js';
import { waitFor } from '../test/support/netns.js';
import { DEFAULTS } from '../src/core/defaults.js';
import { setName } from '../src/fw/nft/names.js';
import { monotonicMicros, parseTrace, STAGES, TRACE_ENV, type StageName, type TraceMark } from '../src/core/trace.js';

const BURST = 5;
/** Single writes, and storm sizes; F2B_TRACE_SINGLES / F2B_TRACE_STORMS (comma-separated) override them for a quick run. */
const SINGLES = Number(process.env.F2B_TRACE_SINGLES ?? 200);
const STORMS = (process.env.F2B_TRACE_STORMS ?? '10000,100000').split(',').map(Number);
/** A storm not all banned after this long (ms) is recorded as it stands. */
const STORM_CAP_MS = 120_000;
/** How often a storm's end is asked of the store (ms). */
const STATUS_POLL_MS = 250;
/** Time between single bursts (ms), so each one's marks stand alone. */
const GAP_MS = 20;

/** One write: its monotonic start (µs), when the kernel announced its first and its last address (monotonic µs, NaN if not seen). */
interface Burst {
  readonly t0: number;
  readonly first: number;
  readonly last: number;
  /** Marks after this (monotonic µs) belong to no burst (default: the next burst's start). */
  readonly end?: number;
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor((sorted.length - 1) * p))]!;
}

function round(n: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/** user+sys CPU time of `pid` in ms (/proc/PID/stat, clock ticks of 10 ms). */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** Counts the daemon's `Ban` lines from now on. */
function banCounter(h: DaemonHarness): () => number {
  let seen = h.logs.length;
  let count = 0;
  return () => {
    for (; seen < h.logs.length; seen++) if (h.logs[seen]!.event === 'ban') count++;
    return count;
  };
}

/** Bans in the daemon's store now (`f2b-fw status`: a count query, not a list). */
async function storedCount(h: DaemonHarness): Promise<number> {
  return (await h.cliJson<{ currentlyBanned: number }>(['status'])).currentlyBanned;
}

/**
 * A storm's end: its `n` Ban lines read, or, every STATUS_POLL_MS, the store holding `total` bans
 * (a storm of 100,000 overflows the daemon's stdout buffer while this process parses its lines,
 * and the dropped Ban lines never come: the bench then waited for STORM_CAP_MS).
 */
function storedAll(h: DaemonHarness, bans: () => number, n: number, total: number): () => Promise<boolean> {
  let next = 0;
  return async () => {
    if (bans() >= n) return true;
    if (Date.now() < next) return false;
    next = Date.now() + STATUS_POLL_MS;
    return (await storedCount(h)) >= total;
  };
}

function failureLines(addrs: readonly string[]): string[] {
  return addrs.flatMap((a) => Array.from({ length: BURST }, () => `FAIL login from ${a}`));
}

/** Per stage: of each burst window, the first and the last mark (ms after the write) and the daemon's CPU µs from the window's first mark to the stage's last. */
function stageTimes(bursts: readonly Burst[], marks: readonly TraceMark[]): Map<StageName, { first: number[]; last: number[]; cpu: number[] }> {
  const out = new Map(STAGES.map((s) => [s, { first: [] as number[], last: [] as number[], cpu: [] as number[] }]));
  let m = 0;
  for (const [i, b] of bursts.entries()) {
    const end = Math.min(bursts[i + 1]?.t0 ?? Number.POSITIVE_INFINITY, b.end ?? Number.POSITIVE_INFINITY);
    while (m < marks.length && marks[m]!.at < b.t0) m++;
    const seen = new Map<StageName, { first: number; last: number; cpu: number }>();
    const cpu0 = marks[m]?.cpu ?? 0;
    for (; m < marks.length && marks[m]!.at < end; m++) {
      const { stage, at, cpu } = marks[m]!;
      const s = seen.get(stage);
      if (s === undefined) seen.set(stage, { first: at, last: at, cpu });
      else {
        s.last = at;
        s.cpu = cpu;
      }
    }
    for (const [stage, s] of seen) {
      const o = out.get(stage)!;
      o.first.push((s.first - b.t0) / 1000);
      o.last.push((s.last - b.t0) / 1000);
      o.cpu.push(s.cpu - cpu0);
    }
  }
  for (const v of out.values()) for (const list of [v.first, v.last, v.cpu]) list.sort((a, b) => a - b);
  return out;
}

/** A markdown table: per stage, median first and last mark after the write (and p99 of the last for singles). */
function stageTable(title: string, bursts: readonly Burst[], marks: readonly TraceMark[], lastRow = 'kernel notification (nft monitor)'): string {
  const times = stageTimes(bursts, marks);
  const rows = ['| stage | first mark (ms) | last mark (ms) | last, p99 (ms) | daemon CPU to last mark (µs) |', '|---|---:|---:|---:|---:|'];
  for (const [stage, t] of times) {
    if (t.first.length === 0) continue;
    rows.push(`| ${stage} | ${round(percentile(t.first, 0.5), 3)} | ${round(percentile(t.last, 0.5), 3)} | ${round(percentile(t.last, 0.99), 3)} | ${Math.round(percentile(t.cpu, 0.5))} |`);
  }
  const note = (key: 'first' | 'last'): number[] => bursts.map((b) => (b[key] - b.t0) / 1000).filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  rows.push(`| ${lastRow} | ${round(percentile(note('first'), 0.5), 3)} | ${round(percentile(note('last'), 0.5), 3)} | ${round(percentile(note('last'), 0.99), 3)} | |`);
  // One note: the title as its list item, the table after a blank line (rendered as a table, not in the list).
  return `${title}: ms after \`write()\` and the daemon's CPU time (user+sys) from the first mark, medians over ${bursts.length} write(s)\n\n${rows.join('\n')}\n`;
}

async function run(): Promise<{ figures: BenchFigure[]; tables: string[] }> {
  const h = new DaemonHarness('bench-trace', '');
  h.entry = BUNDLE_ENTRY; // what users run
  try {
    const log = h.path('trace.log');
    const traceFile = h.path('trace.marks');
    h.touch(log);
    h.config.write('jail.local', jailSection('trace', log, { bantime: '1h', maxretry: String(BURST) }));
    h.env = { [TRACE_ENV]: traceFile };
    await h.start();
    const pid = h.child!.pid!;
    const mon = new ElementMonitor(h.ns, monotonicMicros);
    await new Promise((r) => setTimeout(r, 500));

    const singles: Burst[] = [];
    for (let i = 0; i < SINGLES; i++) {
      const addr = `2001:db8:7ace::${(i + 1).toString(16)}`;
      const seen = mon.expect(addr, 5000);
      const t0 = monotonicMicros();
      h.append(log, failureLines([addr]));
      const at = await seen;
      singles.push({ t0, first: at, last: at });
      await new Promise((r) => setTimeout(r, GAP_MS));
    }
    const storms: { n: number; burst: Burst; cpu: number; inKernel: number }[] = [];
    for (const [k, n] of STORMS.entries()) {
      // Last hextet 1…0x8000 (four digits at most: i & 0xffff + 1 made `10000` of every 65,536th, which no filter matches).
      const addrs = Array.from({ length: n }, (_, i) => `2001:db8:57${k}0:${(i >> 15).toString(16)}::${((i & 0x7fff) + 1).toString(16)}`);
      const data = failureLines(addrs);
      // `nft monitor` drops notifications of a big batch (its socket buffer overflows): the first
      // address is taken from it, all of them from the daemon's `Ban` lines (written after the
      // kernel's ACK and the store commit) and the set's size at the end.
      const first = mon.expect(addrs[0]!, STORM_CAP_MS);
      const bans = banCounter(h);
      const stored = await storedCount(h);
      const cpu0 = cpuMs(pid);
      const t0 = monotonicMicros();
      h.append(log, data);
      await waitFor(storedAll(h, bans, n, stored + n), STORM_CAP_MS, 10);
      const last = monotonicMicros();
      const cpu = cpuMs(pid) - cpu0;
      storms.push({ n, burst: { t0, first: await first, last, end: last + 50_000 }, cpu, inKernel: setSize(h.ns, DEFAULTS.family, DEFAULTS.table, setName('trace', 6, 'addr')) });
    }
    mon.stop();
    await h.signal('SIGTERM');
    const { marks, dropped } = parseTrace(readFileSync(traceFile, 'utf8'));
    const tables = [stageTable(`One address, ${BURST} lines in one write()`, singles, marks)];
    const stormRow = 'first: nft monitor; last: the last `Ban` line read by the bench, or the store seen holding them all (`status`, polled every 250 ms)';
    for (const s of storms) tables.push(stageTable(`Storm: ${s.n.toLocaleString('en-US')} addresses × ${BURST} lines in one write()`, [s.burst], marks, stormRow));
    if (dropped > 0) tables.push(`(${dropped} trace marks dropped: the recorder was full)`);
    const lat = singles.map((b) => (b.last - b.t0) / 1000).filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
    const figures: BenchFigure[] = [
      { name: `${BURST} lines in one write → address announced by the kernel, median`, value: round(percentile(lat, 0.5), 3), unit: 'ms', target: '≤ 1 ms' },
      { name: 'same, p99', value: round(percentile(lat, 0.99), 3), unit: 'ms', target: '≤ 3 ms' },
      { name: 'same, announcements missing (of ' + SINGLES + ')', value: SINGLES - lat.length, unit: '' },
    ];
    for (const s of storms) {
      const label = `${s.n.toLocaleString('en-US')} addresses × ${BURST} lines in one write`;
      // In the kernel: the ACK of the storm's last batch (the kernel commits inside the send).
      const acks = marks.filter((m) => m.stage === 'ack' && m.at >= s.burst.t0 && m.at <= s.burst.end!);
      figures.push(
        { name: `${label} → all in the kernel (ACK of its last batch)`, value: round((acks[acks.length - 1]!.at - s.burst.t0) / 1000, 1), unit: 'ms', target: s.n === 10_000 ? '≤ 150 ms' : '≤ 1500 ms' },
        { name: 'same: kernel transactions (batches) it took', value: acks.length, unit: '' },
        { name: 'same: daemon CPU (user+sys) per ban', value: round((s.cpu * 1000) / s.n, 1), unit: 'µs' },
        { name: 'same: addresses in the kernel set afterwards', value: s.inKernel, unit: '' },
      );
    }
    return { figures, tables };
  } finally {
    await h.destroy();
  }
}

export const bench: BenchModule = {
  name: 'trace',
  async run(): Promise<BenchSection> {
    const load = loadavg().map((l) => l.toFixed(1)).join(' ');
    const { figures, tables } = await run();
    return {
      title: 'Trace: where a ban\'s time goes, write() → kernel, stage by stage',
      command: 'npm run bench -- trace',
      figures,
      notes: [
        `A real \`f2b-fw run\` (nftables backend) in a network namespace, jail with maxretry ${BURST}, \`${TRACE_ENV}\` set: the daemon marks each stage (src/core/trace.ts) on CLOCK_MONOTONIC, the bench marks its \`write()\` on the same clock, \`nft monitor elements\` in the namespace gives the kernel's notification (its own process and pipe add to that last row).`,
        `Singles: ${SINGLES} addresses, one write of ${BURST} lines each, ${GAP_MS} ms apart. Storms: ${STORMS.map((n) => n.toLocaleString('en-US')).join(' and ')} addresses × ${BURST} lines, each in one write. A storm is in the kernel at the ACK of its last batch (the daemon's mark); the bench waits for the daemon's last \`Ban\` line (written after the store commit), or for \`status\` to count them all in the store (polled every ${STATUS_POLL_MS} ms: the Ban lines of 100,000 overflow the daemon's stdout buffer while the bench parses them), before the next step, and the CPU per ban from /proc/PID/stat (10 ms ticks) from the write to then.`,
        `Load average at start: ${load} (${cpus().length} CPUs).`,
        ...tables,
      ],
    };
  },
};
