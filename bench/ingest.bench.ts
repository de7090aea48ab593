/**
 * Ingest at filter speed (issue 12.3): how fast lines get from a file to
 * decisions. (1) The daemon catching up a 1,000,000-line auth.log at start: a
 * RuntimeJail and its line pipeline (the daemon's own file source with its saved position at 0, the
 * LineSplitter, the sshd filter, the jail's counting) from `start()` until every
 * line is read, in this process. (2) `f2b-fw test-filter` on the same file as a
 * whole process, wall time (Node start-up, reading, report included).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, readSync, closeSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RawSection, Setting } from '../src/config/types.js';
import { BUNDLE_ENTRY } from '../src/core/paths.js';
import { LIMITS } from '../src/core/defaults.js';
import { RuntimeJail } from '../src/daemon/jails.js';
import { linePipeline, type DecisionSink } from '../src/daemon/pipeline.js';
import type { Applied } from '../src/bans/manager.js';
import { createLogger } from '../src/core/log.js';
import { MemoryPositionStore, headHash } from '../src/sources/position.js';
import { generateAuthLog } from './auth-log.js';
import type { BenchModule, BenchSection } from './types.js';

const LINES = 1_000_000;

function jailRaw(logpath: string): RawSection {
  const settings = new Map<string, Setting>();
  for (const [key, value] of Object.entries({ enabled: 'true', filter: 'sshd', logpath, backend: 'polling', maxretry: '5', findtime: '1d', bantime: '1h', port: 'ssh', logtimezone: 'UTC' })) {
    settings.set(key, { value, pos: { file: 'bench', section: 'sshd', key, value } });
  }
  return { name: 'sshd', settings };
}

/** Catch-up of `file` by a RuntimeJail: seconds, lines read, failures and ban decisions. */
async function catchUp(file: string, configDir: string, end: number): Promise<{ seconds: number; cpu: number; lines: number; failures: number; decisions: number }> {
  const head = Buffer.alloc(LIMITS.lineBytes);
  const fd = openSync(file, 'r');
  const n = readSync(fd, head, 0, head.length, 0);
  closeSync(fd);
  const positions = new MemoryPositionStore();
  positions.set(`[sshd] ${file}`, { offset: 0, firstLineHash: headHash(head.subarray(0, n), LIMITS.lineBytes), inode: statSync(file).ino });
  let decisions = 0;
  const clock = { now: () => end };
  const jail = new RuntimeJail(jailRaw(file), configDir, { clock, history: { banCount: () => 0 }, ownAddresses: [] });
  const sink: DecisionSink = { submit: async () => { decisions++; return undefined as unknown as Applied; } };
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  await jail.start(positions, linePipeline(jail, sink, createLogger({ level: 'silent' }), clock), (err) => { throw err; });
  const seconds = (performance.now() - t0) / 1000;
  const used = process.cpuUsage(cpu0);
  await jail.stop();
  return { seconds, cpu: (used.user + used.system) / 1e6, lines: jail.counters.lines, failures: jail.counters.failures, decisions };
}

/**
 * CPU seconds (user + system) of this process's waited-for children so far, from
 * /proc/self/stat (cutime, cstime, in USER_HZ ticks: 100 per second on Linux).
 */
function childCpuSeconds(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After "pid (comm) ", field 3 (state) is index 0: cutime and cstime are fields 16 and 17.
  return (Number(fields[13]) + Number(fields[14])) / 100;
}

/** `f2b-fw test-filter LOG sshd` as a process, 3 times: median wall and CPU seconds. */
function testFilterRuns(configDir: string, log: string): { wall: number; cpu: number } {
  const walls: number[] = [];
  const cpus: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    const cpu0 = childCpuSeconds();
    execFileSync(process.execPath, [BUNDLE_ENTRY, 'test-filter', '--config-dir', configDir, log, 'sshd'], { stdio: 'ignore', env: { ...process.env, TZ: 'UTC' } });
    walls.push((performance.now() - t0) / 1000);
    cpus.push(childCpuSeconds() - cpu0);
  }
  const median = (xs: number[]): number => xs.sort((a, b) => a - b)[1]!;
  return { wall: median(walls), cpu: median(cpus) };
}

/** Writes the generated log to `file`; returns the time of its last line (the run's clock). */
function writeLog(file: string): number {
  const log = generateAuthLog(LINES);
  writeFileSync(file, `${log.lines.join('\n')}\n`);
  return log.end;
}

/** `npm run bench -- ingest` */
export const bench: BenchModule = {
  name: 'ingest',
  async run(): Promise<BenchSection> {
    const dir = mkdtempSync(join(tmpdir(), 'f2b-bench-ingest-'));
    try {
      const file = join(dir, 'auth.log');
      // Only the file and the clock are kept: a million strings held here would tax every GC of the run.
      const end = writeLog(file);
      const load0 = loadavg();
      const runs = [];
      for (let i = 0; i < 3; i++) runs.push(await catchUp(file, dir, end));
      const c = runs.sort((a, b) => a.seconds - b.seconds)[1]!;
      const full = testFilterRuns(dir, file);
      const one = join(dir, 'one-line.log');
      writeFileSync(one, `${readFileSync(file, 'latin1').slice(0, 200).split('\n')[0]}\n`);
      const fixed = testFilterRuns(dir, one);
      const load1 = loadavg();
      return {
        title: 'Ingest: file to decisions',
        command: 'npm run bench -- ingest',
        figures: [
          { name: `daemon catch-up of a ${LINES.toLocaleString('en')}-line auth.log at start (file → sshd filter → jail), median of 3`, value: Math.round(c.lines / c.seconds), unit: 'lines/s', target: '≥ 1,000,000 lines/s' },
          { name: 'the same catch-up per CPU second of this process (steadier than wall time on a shared machine)', value: Math.round(c.lines / c.cpu), unit: 'lines/s' },
          { name: `\`f2b-fw test-filter\` on the same ${LINES.toLocaleString('en')} lines, wall, median of 3`, value: Math.round(full.wall * 1000) / 1000, unit: 's', target: '≤ 1 s' },
          { name: 'the same test-filter process, CPU time (user + system), median of 3', value: Math.round(full.cpu * 100) / 100, unit: 's' },
          { name: '… of which its fixed cost: test-filter on a 1-line log, CPU time (Node start-up, modules, filter and date templates compiled, report)', value: Math.round(fixed.cpu * 100) / 100, unit: 's' },
          { name: 'test-filter on a 1-line log, wall, median of 3', value: Math.round(fixed.wall * 1000) / 1000, unit: 's' },
        ],
        notes: [
          `Catch-up: a RuntimeJail (src/daemon/jails.ts) whose saved read position is offset 0, so start() reads the whole file through the daemon's FileSource (1 MiB reads into one reused buffer; the LineSplitter decodes each read in pieces of up to 64 KiB, ending at newlines, one decode and one split per piece), the shipped sshd filter with its literal prefilter, and the jail's findtime/maxretry counting: ${c.lines.toLocaleString('en')} lines, ${c.failures.toLocaleString('en')} failures, ${c.decisions.toLocaleString('en')} ban decisions in ${c.seconds.toFixed(2)} s. Store and kernel are not included (the daemon and e2e sections measure them).`,
          'test-filter: a whole `node dist/bundle/f2b-fw.cjs test-filter FILE sshd` process, reading through the same LineSplitter (so it cuts lines at the same byte as the daemon); it detects the date of every line (so the date-template counts cover all lines), runs the failregexes on the lines the literal prefilter lets through, and writes the fail2ban-regex report.',
          `Machine load (1/5/15-min load average) at the start: ${load0.map((x) => x.toFixed(2)).join(' / ')}, at the end: ${load1.map((x) => x.toFixed(2)).join(' / ')} (2 cores shared with other work: wall times grow with it).`,
        ],
      };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
