/**
 * Flood benchmark: 1,000,000 distinct IPv6 attackers (maxretry 1) written to
 * a followed log of a real `f2b-fw run` in a namespace; measures the time
 * until every ban is in the store and the kernel, the daemon's peak and
 * settled memory, and that it survived (the npm `netlink` package aborted the
 * process under such floods, issue 10 item 3).
 */
import { readFileSync } from 'node:fs';
import type { BenchFigure, BenchModule, BenchSection } from './types.js';
import { DaemonHarness, jailSection } from '../test/support/daemon-harness.js';
import { waitFor } from '../test/support/netns.js';

const FLOOD = 1_000_000;
const SETTLE_MS = 30_000;

/** VmRSS and VmHWM (peak) of a process, MB. */
function memory(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const mb = (key: string): number => {
    const m = new RegExp(`^${key}:\\s+(\\d+) kB$`, 'm').exec(status);
    return m ? Math.round(Number(m[1]) / 102.4) / 10 : NaN;
  };
  return { rss: mb('VmRSS'), peak: mb('VmHWM') };
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

async function flood(): Promise<BenchFigure[]> {
  const h = new DaemonHarness('bench-flood', '');
  try {
    const log = h.path('flood.log');
    h.touch(log);
    h.config.write('jail.local', jailSection('flood', log, { bantime: '1h' }));
    await h.start();
    const pid = h.child!.pid!;
    const before = memory(pid);
    const chunk = 50_000;
    const t0 = performance.now();
    for (let base = 0; base < FLOOD; base += chunk) {
      const lines: string[] = [];
      for (let i = base; i < Math.min(FLOOD, base + chunk); i++) lines.push(`FAIL login from 2001:db8:${(i >>> 16).toString(16)}:${(i & 0xffff).toString(16)}::1`);
      h.append(log, lines);
    }
    const written = performance.now() - t0;
    let banned = 0;
    const repairLines: unknown[] = [];
    const alive = (): boolean => h.child!.exitCode === null && h.child!.signalCode === null;
    await waitFor(() => {
      // Only the count matters here: drop the million parsed log lines as they come.
      banned += h.events('ban').length;
      repairLines.push(...h.events('repair'));
      h.logs.length = 0;
      return banned >= FLOOD || !alive();
    }, 1_200_000, 100);
    const done = performance.now() - t0;
    if (!alive()) throw new Error(`the daemon died during the flood after ${banned} bans`);
    const peak = memory(pid).peak;
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    const settled = memory(pid).rss;
    const repairs = repairLines.length + h.events('repair').length;
    return [
      { name: `1,000,000 distinct IPv6 attackers: log written → all banned (store + kernel)`, value: round(done / 1000), unit: 's' },
      { name: 'ban rate during the flood', value: Math.round(FLOOD / (done / 1000)), unit: 'bans/s' },
      { name: 'time to write the log (1,000,000 lines)', value: round(written / 1000), unit: 's' },
      { name: 'RSS before the flood', value: before.rss, unit: 'MB' },
      { name: 'peak RSS during the flood (VmHWM)', value: peak, unit: 'MB' },
      { name: `RSS ${SETTLE_MS / 1000} s after the flood`, value: settled, unit: 'MB' },
      { name: 'repairs during the flood (lost events would show here)', value: repairs, unit: 'repairs' },
    ];
  } finally {
    await h.destroy();
  }
}

export const bench: BenchModule = {
  name: 'flood',
  async run(): Promise<BenchSection> {
    return {
      title: 'Flood: 1,000,000 distinct attackers',
      command: 'npm run bench -- flood',
      figures: await flood(),
      notes: [
        'A real `f2b-fw run` (nftables backend, one jail, maxretry 1, bantime 1h, default maxelem 1,048,576) in a network namespace; 1,000,000 lines `FAIL login from 2001:db8:X:Y::1`, all distinct, appended in 50,000-line writes; done when the daemon has logged 1,000,000 `Ban` lines (each logged after its kernel batch committed).',
        'Memory from /proc/PID/status: VmHWM is the peak resident size of the daemon over its whole life.',
      ],
    };
  },
};
