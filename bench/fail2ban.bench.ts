/**
 * f2b-fw and Debian's fail2ban side by side, on this machine, in one run
 * (issue 6). Each daemon runs in a network namespace of its own; where
 * fail2ban is not installed, f2b-fw is measured alone and the notes say so.
 * - end-to-end ban latency: failure line appended → element announced by the kernel;
 * - 1,000 and 100,000 bans through each tool's client; restore after a restart;
 * - RSS idle and loaded;
 * - packet path: connections/s through a router holding 10,000 bans as
 *   fail2ban's ip6tables chain vs as f2b-fw's nftables set.
 * fail2ban is slow at bulk bans (one `nft` process per address): its runs are
 * capped at FAIL2BAN_CAP_S and the figure is extrapolated, and says so.
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import type { BenchFigure, BenchModule, BenchSection } from './types.js';
import { BENCH_JAIL, f2bfwContender, fail2banContender, type Contender } from './support/contenders.js';
import { fail2banInstalled } from './support/fail2ban-config.js';
import { ElementMonitor, setSize, waitForSize } from './support/kernel-watch.js';
import { packetPath } from './support/packet-path.js';

const LATENCY_BANS = 200;
const SMALL = 1000;
const BIG = 100_000;
/** Longest a fail2ban bulk phase (apply or restore) may run before it is cut and extrapolated. */
const FAIL2BAN_CAP_S = 120;
/** A phase of f2b-fw never needs this long; it guards against a hang. */
const F2BFW_CAP_S = 300;
/** Idle time before the loaded RSS is read, so both runtimes' collectors have given back the bulk phase's garbage. */
const SETTLE_S = 30;

/** What one tool measured. */
interface ToolFigures {
  latencyMedian: number;
  latencyP99: number;
  latencyMissed: number;
  rssIdle: number;
  apply: Phase[];
  restore: Phase[];
  rssLoaded: number;
  loadedBans: number;
}

/** One bulk phase: `wanted` bans, `done` in the kernel after `s` seconds; `cut` when the cap stopped it. */
interface Phase {
  readonly wanted: number;
  readonly done: number;
  readonly s: number;
  readonly cut: boolean;
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length - 1) * p))] ?? NaN;
}

function round(n: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

function rssMb(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? round(Number(m[1]) / 1024, 1) : NaN;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Sequential single bans from the log: line appended → kernel announces the element. */
async function latency(c: Contender): Promise<{ median: number; p99: number; missed: number }> {
  const monitor = new ElementMonitor(c.ns);
  try {
    await sleep(300);
    const samples: number[] = [];
    let missed = 0;
    for (let i = 0; i <= LATENCY_BANS; i++) {
      const addr = `2001:db8:1a7::${(i + 1).toString(16)}`;
      const seen = monitor.expect(addr, 10_000);
      const t0 = performance.now();
      c.fail(addr);
      const t1 = await seen;
      // The first ban creates fail2ban's table and set on demand: a warm-up, not a sample.
      if (i === 0) continue;
      if (Number.isNaN(t1)) missed++;
      else samples.push(t1 - t0);
      await sleep(20);
    }
    samples.sort((a, b) => a - b);
    return { median: round(percentile(samples, 0.5)), p99: round(percentile(samples, 0.99)), missed };
  } finally {
    monitor.stop();
  }
}

/** Bans `addrs` in batches through the client until all are in the kernel or the cap passes. */
async function apply(c: Contender, addrs: readonly string[], already: number, capS: number): Promise<Phase> {
  const t0 = performance.now();
  let sent = 0;
  while (sent < addrs.length && performance.now() - t0 < capS * 1000) {
    await c.ban(addrs.slice(sent, sent + c.batch));
    sent += Math.min(c.batch, addrs.length - sent);
  }
  const left = Math.max(0, capS * 1000 - (performance.now() - t0));
  const r = await waitForSize(c.ns, c.set.family, c.set.table, c.set.name, already + sent, t0, left);
  const done = Math.min(r.size, already + sent) - already;
  return { wanted: addrs.length, done, s: (performance.now() - t0) / 1000, cut: done < addrs.length };
}

/**
 * Stop, empty the namespace's ruleset, start again: time from start until the
 * `count` bans the daemon holds are back. `wanted` is the phase's size: when a
 * capped apply left fewer bans than that, the restore is extrapolated to it.
 */
async function restore(c: Contender, count: number, wanted: number, capS: number): Promise<Phase> {
  await c.stop();
  c.ns.run('nft', ['flush', 'ruleset']);
  const t0 = performance.now();
  await c.start();
  const r = await waitForSize(c.ns, c.set.family, c.set.table, c.set.name, count, t0, capS * 1000);
  const done = Math.min(r.size, count);
  return { wanted, done, s: r.ms / 1000, cut: done < wanted };
}

function addresses(tag: number, n: number): string[] {
  return Array.from({ length: n }, (_, i) => `2001:db8:${tag.toString(16)}:${(i >>> 16).toString(16)}:${(i & 0xffff).toString(16)}::1`);
}

/** Runs every daemon measurement for one tool, always cleaning up. */
async function measure(make: (label: string) => Contender, capS: number): Promise<ToolFigures> {
  const small = make('bench-f2bs');
  let latencyFigures: { median: number; p99: number; missed: number };
  let rssIdle: number;
  const phasesApply: Phase[] = [];
  const phasesRestore: Phase[] = [];
  try {
    await small.start();
    await sleep(2000);
    rssIdle = rssMb(small.pid());
    latencyFigures = await latency(small);
    const before = setSize(small.ns, small.set.family, small.set.table, small.set.name);
    const a = await apply(small, addresses(0xa1, SMALL), before, capS);
    phasesApply.push(a);
    phasesRestore.push(await restore(small, before + a.done, before + SMALL, capS));
  } finally {
    await small.destroy();
  }
  const big = make('bench-f2bb');
  try {
    await big.start();
    const a = await apply(big, addresses(0xb1, BIG), 0, capS);
    phasesApply.push(a);
    await sleep(SETTLE_S * 1000);
    const rssLoaded = rssMb(big.pid());
    phasesRestore.push(await restore(big, a.done, BIG, capS));
    return { latencyMedian: latencyFigures.median, latencyP99: latencyFigures.p99, latencyMissed: latencyFigures.missed, rssIdle, apply: phasesApply, restore: phasesRestore, rssLoaded, loadedBans: a.done };
  } finally {
    await big.destroy();
  }
}

/** Seconds for the whole phase: measured, or extrapolated at the measured rate when the cap cut it. */
function phaseSeconds(p: Phase): number {
  return p.cut && p.done > 0 ? round((p.s * p.wanted) / p.done, 1) : round(p.s, 2);
}

function phaseNote(label: string, what: string, p: Phase): string | undefined {
  if (!p.cut) return undefined;
  return `${label}, ${what} of ${p.wanted.toLocaleString('en-US')}: measured with ${p.done.toLocaleString('en-US')} bans in the kernel after ${round(p.s, 1)} s (${round(p.done / p.s, 1)} bans/s; phase capped in time); the figure is extrapolated linearly to ${p.wanted.toLocaleString('en-US')}.`;
}

function compare(label: string, value: number | undefined): BenchFigure['compare'] {
  return value === undefined ? undefined : { label, value };
}

export const bench: BenchModule = {
  name: 'fail2ban',
  async run(): Promise<BenchSection> {
    const withFail2ban = fail2banInstalled();
    const loadBefore = loadavg();
    const ours = await measure(f2bfwContender, F2BFW_CAP_S);
    const theirs = withFail2ban ? await measure(fail2banContender, FAIL2BAN_CAP_S) : undefined;
    const packets = await packetPath(withFail2ban);
    const loadAfter = loadavg();
    const label = 'fail2ban';
    const figures: BenchFigure[] = [
      { name: `log line → kernel set, median (${LATENCY_BANS} bans)`, value: ours.latencyMedian, unit: 'ms', compare: compare(label, theirs?.latencyMedian) },
      { name: 'log line → kernel set, p99', value: ours.latencyP99, unit: 'ms', compare: compare(label, theirs?.latencyP99) },
    ];
    const notes: string[] = [];
    ours.apply.forEach((p, i) => {
      const t = theirs?.apply[i];
      figures.push({ name: `apply ${p.wanted.toLocaleString('en-US')} bans (client → kernel)`, value: phaseSeconds(p), unit: 's', compare: compare(t?.cut ? `${label}, extrapolated` : label, t && phaseSeconds(t)) });
    });
    ours.restore.forEach((p, i) => {
      const t = theirs?.restore[i];
      const wanted = ours.apply[i]!.wanted.toLocaleString('en-US');
      figures.push({ name: `restore after restart, ${wanted}-ban run (start → all back in the kernel)`, value: phaseSeconds(p), unit: 's', compare: compare(t?.cut ? `${label}, extrapolated` : label, t && phaseSeconds(t)) });
    });
    figures.push(
      { name: 'RSS idle (one jail, no bans)', value: ours.rssIdle, unit: 'MB', compare: compare(label, theirs?.rssIdle) },
      { name: `RSS loaded (f2b-fw ${ours.loadedBans.toLocaleString('en-US')} bans${theirs ? `, fail2ban ${theirs.loadedBans.toLocaleString('en-US')}` : ''})`, value: ours.rssLoaded, unit: 'MB', compare: compare(label, theirs?.rssLoaded) },
      ...packets.figures,
    );
    for (const t of [ours, theirs]) {
      if (!t) continue;
      const who = t === ours ? 'f2b-fw' : 'fail2ban';
      t.apply.forEach((p) => { const n = phaseNote(who, 'apply', p); if (n) notes.push(n); });
      t.restore.forEach((p) => { const n = phaseNote(who, 'restore', p); if (n) notes.push(n); });
    }
    if (ours.latencyMissed > 0 || (theirs?.latencyMissed ?? 0) > 0) {
      notes.push(`Latency samples not seen within 10 s (left out): f2b-fw ${ours.latencyMissed}, fail2ban ${theirs?.latencyMissed ?? '-'}.`);
    }
    return {
      title: 'f2b-fw and fail2ban side by side',
      command: 'npm run bench -- fail2ban',
      figures,
      notes: [
        withFail2ban
          ? `Both daemons measured in the same run: f2b-fw (\`node dist/bundle/main.js run\`, nftables backend) and Debian's fail2ban (\`fail2ban-server -xf -c DIR start\`, action \`nftables-allports\`, backend pyinotify), each in a network namespace of its own with a private config dir, socket, pid file and database; one jail \`${BENCH_JAIL}\`, maxretry 1, the same one-line filter (\`^FAIL login from <HOST>$\`), IPv6 addresses from 2001:db8::/32.`
          : 'fail2ban is not installed on this machine (`apt-get install fail2ban`, see the reproduce note): f2b-fw measured alone, no comparison figures.',
        `Latency: ${LATENCY_BANS} failure lines appended one at a time (after one warm-up ban that creates fail2ban's table on demand); time from the append to the element announced by \`nft monitor elements\` in the daemon's namespace.`,
        `Bulk bans through each tool's client: \`f2b-fw ban ${BENCH_JAIL} IP…\` with 10,000 addresses per call, \`fail2ban-client set ${BENCH_JAIL} banip IP…\` with 1,000 per call; timed until the kernel set holds them all (\`nft -j list set\`). fail2ban runs one \`nft add element\` shell per address.`,
        'Restore: daemon stopped (SIGTERM / `fail2ban-client stop`), the namespace\'s ruleset flushed so nothing is left in the kernel, daemon started again; timed from the start command until the set holds every ban again (both restore from their database).',
        `fail2ban's bulk phases are capped at ${FAIL2BAN_CAP_S} s each; a capped figure is extrapolated at the measured rate (labelled "extrapolated"), and its loaded RSS is with the bans it reached, not 100,000.`,
        `RSS: VmRSS from /proc/PID/status of the server process (node for f2b-fw, python3 for fail2ban-server); idle = 2 s after start, loaded = ${SETTLE_S} s after the 100,000-ban run.`,
        ...packets.notes,
        ...notes,
        `Machine load (1/5/15-min load average) at the start: ${loadBefore.map((l) => l.toFixed(2)).join(' / ')}, at the end: ${loadAfter.map((l) => l.toFixed(2)).join(' / ')} (other work ran in parallel; both tools saw the same machine within minutes).`,
      ],
    };
  },
};
