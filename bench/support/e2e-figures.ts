/**
 * The rows of the end-to-end section (issue 12's table) from what the runs
 * measured: the shared harness's JSON per tool, the processes timed outside
 * it (bench/support/outside-daemon.ts) and test-filter/fail2ban-regex. Pure:
 * no timing here, only which figure goes with which peer.
 */
import type { BenchFigure } from '../types.js';
import type { HarnessMem, HarnessResult, HarnessSample } from './harness.js';
import type { OutsideResult } from './outside-daemon.js';
import { percentile } from './stats.js';

/** A storm (massban) as the harness measured it: N addresses, seconds until all in the kernel, memory, restore. */
export interface Storm {
  readonly n: number;
  readonly s: number | null;
  /** The daemon's CPU seconds (itself and its children) in that time: steadier than wall time on a loaded machine. */
  readonly cpuS?: number;
  readonly rssAfter?: number;
  readonly hwm?: number;
  readonly restoreS: number | null;
}

/** One tool's harness figures. */
export interface ToolRow {
  readonly monitorMedian?: number;
  readonly monitorP99?: number;
  readonly pollMedian?: number;
  readonly rssIdle?: number;
  readonly logStorms: readonly Storm[];
  readonly cmd?: Storm;
}

/** test-filter (and fail2ban-regex) as processes: lines, wall and CPU seconds. */
export interface FilterRun { readonly lines: number; readonly wallS: number; readonly cpuS: number }

/** Everything one e2e run measured. */
export interface E2eMeasured {
  readonly f2bfw: ToolRow;
  readonly sshguard?: ToolRow;
  readonly fail2ban?: ToolRow;
  readonly outside?: OutsideResult;
  readonly testFilter: readonly FilterRun[];
  readonly fail2banRegex?: FilterRun;
}

const warm = (r: HarnessResult, key: keyof Pick<HarnessSample, 'pollMs' | 'monitorMs'>): number[] =>
  (r.samples ?? []).filter((s) => !s.cold && s[key] !== null).map((s) => s[key] as number);

const rss = (m: HarnessMem | undefined): number | undefined => m?.groupRssMB ?? m?.rssMB;

function storm(r: HarnessResult): Storm {
  return {
    n: r.n, s: r.allInKernelMs === null ? null : r.allInKernelMs / 1000,
    ...(r.daemonCpuS ? { cpuS: r.daemonCpuS.self + r.daemonCpuS.children } : {}), rssAfter: rss(r.memAfter), hwm: r.memAfter?.hwmMB,
    restoreS: r.restore?.restoredAllMs == null ? null : r.restore.restoredAllMs / 1000,
  };
}

/** One tool's row from all its harness results (any number of invocations). */
export function toolRow(results: readonly HarnessResult[]): ToolRow {
  const ok = results.filter((r) => !r.skipped);
  const lat = ok.find((r) => r.scenario === 'latency');
  const cmd = ok.find((r) => r.scenario === 'massban-cmd');
  return {
    ...(lat ? { monitorMedian: percentile(warm(lat, 'monitorMs'), 0.5), monitorP99: percentile(warm(lat, 'monitorMs'), 0.99), pollMedian: lat.poll?.median, rssIdle: rss(lat.memIdle) } : {}),
    logStorms: ok.filter((r) => r.scenario === 'massban-log').map(storm).sort((a, b) => a.n - b.n),
    ...(cmd ? { cmd: storm(cmd) } : {}),
  };
}

const round = (n: number): number => Number(n.toPrecision(4));
const thousands = (n: number): string => n.toLocaleString('en-US');

/** The section's figures: f2b-fw's value, the target, the peer's figure of the same run. */
export function e2eFigures(m: E2eMeasured): BenchFigure[] {
  const out: BenchFigure[] = [];
  const add = (name: string, value: number | null | undefined, unit: string, target?: string, peer?: [string, number | null | undefined]): void => {
    if (value === undefined || value === null || Number.isNaN(value)) return;
    const compare = peer && peer[1] !== undefined && peer[1] !== null && !Number.isNaN(peer[1]) ? { label: peer[0], value: round(peer[1]) } : undefined;
    out.push({ name, value: round(value), unit, ...(target ? { target } : {}), ...(compare ? { compare } : {}) });
  };
  const { f2bfw: f, sshguard: sg, fail2ban: fb } = m;
  add('5 lines in one write → element in the kernel (`nft monitor`), median', f.monitorMedian, 'ms', '≤ 1 ms', ['sshguard', sg?.monitorMedian]);
  add('… the same median next to fail2ban', f.monitorMedian, 'ms', undefined, ['fail2ban', fb?.monitorMedian]);
  add('5 lines → kernel (`nft monitor`), p99', f.monitorP99, 'ms', '≤ 3 ms', ['sshguard', sg?.monitorP99]);
  add('5 lines → kernel, median seen by the 2 ms poll (`nft -j -i`, ~1 ms floor)', f.pollMedian, 'ms', undefined, ['sshguard', sg?.pollMedian]);
  const peerStorm = (row: ToolRow | undefined): Storm | undefined => row?.logStorms[row.logStorms.length - 1];
  const rate = (s: Storm | undefined): number | undefined => (s?.s ? s.n / s.s : undefined);
  const [sgs, fbs] = [peerStorm(sg), peerStorm(fb)];
  const at = (peer: string, st: Storm | undefined): string => (st ? `${peer} at ${thousands(st.n)}` : peer);
  for (const s of f.logStorms) {
    const big = s.n >= 100_000;
    add(`${thousands(s.n)} attackers × 5 lines in one write → all in the kernel`, s.s, 's', big ? '≤ 1.5 s' : '≤ 0.15 s');
    add(`… the daemon's CPU time (user + system) until then`, s.cpuS, 's', undefined, [at('fail2ban', fbs), fbs?.cpuS]);
    add(`… bans/s in the storm of ${thousands(s.n)} (${at('fail2ban', fbs)})`, rate(s), 'bans/s', undefined, ['fail2ban', rate(fbs)]);
    add(`… bans/s in the storm of ${thousands(s.n)} (${at('sshguard', sgs)})`, rate(s), 'bans/s', undefined, ['sshguard', rate(sgs)]);
    add(`RSS 0.5 s after the storm of ${thousands(s.n)} settled`, s.rssAfter, 'MB', big ? '≤ 100 MB' : undefined, [at('fail2ban', fbs), fbs?.rssAfter]);
    add(`RSS peak (VmHWM) up to the storm of ${thousands(s.n)}`, s.hwm, 'MB', big ? '≤ 150 MB' : undefined);
    add(`restart → ${thousands(s.n)} bans back in the kernel (stop, \`nft flush ruleset\`, process start included)`, s.restoreS, 's', big ? '≤ 1.5 s' : '≤ 0.5 s',
      [at('fail2ban', fbs), fbs?.restoreS]);
  }
  if (f.cmd) {
    add(`\`f2b-fw ban sshd --file\` of ${thousands(f.cmd.n)} addresses (client process → all in the kernel)`, f.cmd.s, 's', '≤ 1 s', [at('fail2ban-client banip', fb?.cmd), fb?.cmd?.s]);
    add('… the daemon\'s CPU time (user + system) until then', f.cmd.cpuS, 's', undefined, [at('fail2ban', fb?.cmd), fb?.cmd?.cpuS]);
  }
  add('RSS idle, one jail', f.rssIdle, 'MB', '≤ 55 MB', ['fail2ban', fb?.rssIdle]);
  add('… the same next to sshguard (all its processes)', f.rssIdle, 'MB', undefined, ['sshguard', sg?.rssIdle]);
  for (const t of m.testFilter) {
    const peer = m.fail2banRegex && m.fail2banRegex.lines === t.lines ? m.fail2banRegex : undefined;
    add(`\`f2b-fw test-filter\` on a ${thousands(t.lines)}-line auth.log, wall`, t.wallS, 's', t.lines >= 1_000_000 ? '≤ 1 s' : undefined, ['fail2ban-regex', peer?.wallS]);
    add(`… CPU time (user + system) of that process`, t.cpuS, 's', undefined, ['fail2ban-regex', peer?.cpuS]);
  }
  const o = m.outside;
  if (o) {
    const c = o.catchUp;
    add(`daemon start on a ${thousands(c.lines)}-line backlog → its last burst banned (process start included), lines/s`, c.sentinelMs ? c.lines / (c.sentinelMs / 1000) : null, 'lines/s', '≥ 1,000,000 lines/s');
    add('… lines per CPU second of the daemon until then', c.cpuS ? c.lines / c.cpuS : null, 'lines/s');
    const nft = o.cli.find((x) => x.label === 'nft list tables');
    for (const x of o.cli.filter((y) => y !== nft)) {
      if (x.label.startsWith('node ')) {
        add(`\`${x.label}\` as a process (Node's own start-up, the floor), wall, median`, x.wallMs, 'ms');
        add(`… its CPU time, median`, x.cpuMs, 'ms');
        continue;
      }
      add(`\`f2b-fw ${x.label}\` as a process, wall, median`, x.wallMs, 'ms', '≤ 80 ms', ['nft list tables', nft?.wallMs]);
      add(`… its CPU time, median`, x.cpuMs, 'ms', undefined, ['nft list tables', nft?.cpuMs]);
    }
  }
  return out;
}
