/**
 * Profile benchmark (issue 12): where the daemon's CPU goes in a storm and in
 * a `ban --file`, by concern. A real `f2b-fw run` (the bundle, nftables) in a
 * namespace under `node --cpu-prof`; one storm of 10,000 and one of 100,000
 * addresses × 5 lines in one write, then `f2b-fw ban --file` of 100,000; the
 * profile written at stop is split into the three windows (write → all
 * stored; client start → client exit) and each window's samples are summed
 * by source directory through the bundle's source maps
 * (bench/support/cpu-profile.ts). The shares say what a faster storm must
 * still pay (the kernel's netlink work, SQLite) and what is the daemon's own.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchFigure, BenchModule, BenchSection } from './types.js';
import { BUNDLE_ENTRY } from '../src/core/paths.js';
import { DaemonHarness, jailSection } from '../test/support/daemon-harness.js';
import { waitFor } from '../test/support/netns.js';
import { monotonicMicros } from '../src/core/trace.js';
import { cpuBreakdown, type CpuBreakdown } from './support/cpu-profile.js';

const BURST = 5;
/** Sampling interval of the profiler (µs): finer than V8's 1 ms default, coarse enough to cost little. */
const INTERVAL_US = 250;
/** A step not done after this long (ms) fails the module. */
const STEP_CAP_MS = 180_000;
/** How often the store is asked whether a step is done (ms). */
const POLL_MS = 100;
/** The largest concerns printed per window; the rest share one row. */
const CONCERNS = 14;

/** One measured window. */
interface Window {
  readonly label: string;
  readonly bans: number;
  readonly fromUs: number;
  readonly toUs: number;
}

/** Bans in the daemon's store now. */
async function stored(h: DaemonHarness): Promise<number> {
  return (await h.cliJson<{ currentlyBanned: number }>(['status'])).currentlyBanned;
}

/** Waits until the store holds `total` bans. */
async function storedReach(h: DaemonHarness, total: number): Promise<void> {
  if (!(await waitFor(async () => (await stored(h)) >= total, STEP_CAP_MS, POLL_MS))) throw new Error(`the store did not reach ${total} bans within ${STEP_CAP_MS} ms`);
}

/** A storm: `n` IPv6 addresses × BURST lines in one write; the window ends when the store holds them all. */
async function storm(h: DaemonHarness, log: string, n: number, tag: number): Promise<Window> {
  const addrs = Array.from({ length: n }, (_, i) => `2001:db8:9${tag}00:${(i >> 15).toString(16)}::${((i & 0x7fff) + 1).toString(16)}`);
  const lines = addrs.flatMap((a) => Array.from({ length: BURST }, () => `FAIL login from ${a}`));
  const before = await stored(h);
  const fromUs = monotonicMicros();
  h.append(log, lines);
  await storedReach(h, before + n);
  return { label: `storm of ${n.toLocaleString('en-US')} × ${BURST} lines`, bans: n, fromUs, toUs: monotonicMicros() };
}

/** `f2b-fw ban JAIL --file` of `n` addresses: the window is the client process's life. */
async function banFile(h: DaemonHarness, jail: string, n: number): Promise<Window> {
  const file = h.path('ban.txt');
  writeFileSync(file, Array.from({ length: n }, (_, i) => `2001:db8:9f00:${(i >> 16).toString(16)}:${(i & 0xffff).toString(16)}::1\n`).join(''));
  const fromUs = monotonicMicros();
  const r = await h.cli(['ban', jail, '--file', file]);
  if (r.status !== 0) throw new Error(`f2b-fw ban --file exited ${r.status}: ${r.stderr}`);
  return { label: `\`ban --file\` of ${n.toLocaleString('en-US')}`, bans: n, fromUs, toUs: monotonicMicros() };
}

/** One window's table: concern, CPU ms, share, µs per ban. */
function concernTable(w: Window, b: CpuBreakdown): string {
  const rows = ['| concern (source directory) | CPU ms | share | µs per ban |', '|---|---:|---:|---:|'];
  const shown = b.concerns.slice(0, CONCERNS);
  const rest = b.concerns.slice(CONCERNS).reduce((s, c) => s + c.ms, 0);
  for (const c of rest > 0 ? [...shown, { name: '(the rest)', ms: rest }] : shown) {
    rows.push(`| ${c.name} | ${c.ms.toFixed(0)} | ${((100 * c.ms) / b.busyMs).toFixed(1)} % | ${((1000 * c.ms) / w.bans).toFixed(1)} |`);
  }
  rows.push(`| **all (idle excluded)** | ${b.busyMs.toFixed(0)} | 100 % | ${((1000 * b.busyMs) / w.bans).toFixed(1)} |`);
  return `${w.label}: the daemon's CPU by concern, from its samples between the write (client start) and all of it in the store\n\n${rows.join('\n')}\n`;
}

/** The functions with the most self time in a window. */
function functionTable(w: Window, b: CpuBreakdown): string {
  const rows = ['| function (source) | CPU ms | share |', '|---|---:|---:|'];
  for (const f of b.functions) rows.push(`| ${f.name.replace(/\|/g, '\\|')} | ${f.ms.toFixed(0)} | ${((100 * f.ms) / b.busyMs).toFixed(1)} % |`);
  return `${w.label}: the functions with the most self time\n\n${rows.join('\n')}\n`;
}

async function run(): Promise<{ figures: BenchFigure[]; tables: string[] }> {
  const profDir = mkdtempSync(join(tmpdir(), 'f2b-prof-'));
  const h = new DaemonHarness('bench-profile', '');
  h.entry = BUNDLE_ENTRY;
  try {
    const log = h.path('auth.log');
    h.touch(log);
    h.config.write('jail.local', jailSection('prof', log, { bantime: '1h', maxretry: String(BURST) }));
    h.nodeArgs = ['--cpu-prof', `--cpu-prof-dir=${profDir}`, `--cpu-prof-interval=${INTERVAL_US}`];
    await h.start();
    await new Promise((r) => setTimeout(r, 500));
    const windows = [await storm(h, log, 10_000, 1), await storm(h, log, 100_000, 2), await banFile(h, 'prof', 100_000)];
    await h.signal('SIGTERM');
    const file = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
    if (file === undefined) throw new Error(`the daemon wrote no CPU profile into ${profDir}`);
    const figures: BenchFigure[] = [];
    const tables: string[] = [];
    for (const w of windows) {
      const b = cpuBreakdown(join(profDir, file), w.fromUs, w.toUs);
      figures.push({ name: `${w.label}: daemon CPU per ban, profiled (samples, idle excluded)`, value: Math.round((10_000 * b.busyMs) / w.bans) / 10, unit: 'µs' });
      tables.push(concernTable(w, b));
      if (w.bans === 100_000) tables.push(functionTable(w, b));
    }
    return { figures, tables };
  } finally {
    await h.destroy();
    rmSync(profDir, { recursive: true, force: true });
  }
}

export const bench: BenchModule = {
  name: 'profile',
  async run(): Promise<BenchSection> {
    const { figures, tables } = await run();
    return {
      title: 'Profile: where the daemon\'s CPU goes in a storm and a `ban --file`, by concern',
      command: 'npm run bench -- profile',
      figures,
      notes: [
        `A real \`f2b-fw run\` (the bundle, nftables backend, one jail with maxretry ${BURST}) in a network namespace under \`node --cpu-prof --cpu-prof-interval=${INTERVAL_US}\`: a storm of 10,000 then one of 100,000 IPv6 addresses × ${BURST} lines in one write each, then \`f2b-fw ban prof --file\` of 100,000 more. Each window runs from the write (or the client's start) to the store holding all of it (polled with \`status\` every ${POLL_MS} ms, or the client's exit).`,
        'Self time by source file, mapped through the bundle\'s source maps and summed by directory (src/bans by file): native code is charged to its JavaScript caller, so SQLite\'s C work is in the better-sqlite3 and src/bans/store rows and the kernel\'s netlink work in the native/netlink rows; `(garbage collector)` is V8\'s; `(program)` is V8 and Node work outside any JavaScript function. The profiler itself slows the daemon: these are shares, the wall figures are in the trace and e2e sections.',
        ...tables,
      ],
    };
  },
};
