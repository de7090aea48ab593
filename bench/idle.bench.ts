/**
 * What the idle daemon holds (issue 12.5): a real `f2b-fw run` with one jail
 * (nftables, a followed file, no bans) in a network namespace of its own,
 * settled for a while after `ready`. Its RSS split by mapping (/proc/PID/smaps:
 * the node binary, native addons, other libraries, anonymous memory), the V8
 * heap by space and a heap snapshot by kind and constructor, taken by a probe
 * preloaded into the daemon (bench/support/heap-probe.ts), next to a bare
 * `node` idling (the floor) and the same daemon under V8 options that trade
 * some throughput for memory (fewer V8 platform threads, a smaller young
 * generation), so the table says what could still go.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { BUNDLE_ENTRY } from '../src/core/paths.js';
import { DaemonHarness, jailSection } from '../test/support/daemon-harness.js';
import { waitFor } from '../test/support/netns.js';
import type { HeapProbeReport } from './support/heap-probe.js';
import type { BenchFigure, BenchModule, BenchSection } from './types.js';

/** How long the daemon idles after `ready` before it is measured (ms). */
const SETTLE_MS = 3000;
/** Starts per variant; the median RSS is reported (one start varies by ±2 MB here). */
const RUNS = 3;
const PROBE = fileURLToPath(new URL('./support/heap-probe.js', import.meta.url));

/** How long the first shipped start idles in all before it is measured again (ms): V8's idle-time memory reducer has run by then. */
const LONG_SETTLE_MS = 30_000;

/**
 * This test environment sets NODE_EXTRA_CA_CERTS (a CA bundle every node process parses at start);
 * the systemd unit does not, so the daemon is measured without it, and once with it for its cost.
 */
const NO_EXTRA_CA = { NODE_EXTRA_CA_CERTS: '' };

/** Node options (and environment) tried besides the shipped start (none). */
const VARIANTS: readonly { readonly label: string; readonly options: string; readonly env?: Record<string, string> }[] = [
  { label: 'as shipped', options: '' },
  { label: 'NODE_EXTRA_CA_CERTS set (as in this test environment, not under the unit)', options: '', env: { NODE_EXTRA_CA_CERTS: process.env.NODE_EXTRA_CA_CERTS ?? '' } },
  { label: 'NODE_OPTIONS=--v8-pool-size=1 (1 V8 platform thread instead of 4)', options: '--v8-pool-size=1' },
  { label: 'NODE_OPTIONS=--max-semi-space-size=1 (young generation of 1 MB semi-spaces)', options: '--max-semi-space-size=1' },
  { label: 'NODE_OPTIONS=--v8-pool-size=1 --max-semi-space-size=1', options: '--v8-pool-size=1 --max-semi-space-size=1' },
];

const MB = 1024 * 1024;
const mb = (bytes: number): number => Math.round((bytes / MB) * 10) / 10;

/** RSS of a process and its threads, from /proc/PID/status (bytes). */
interface Status { readonly rss: number; readonly anon: number; readonly file: number; readonly threads: number }

function status(pid: number): Status {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? NaN);
  return { rss: field('VmRSS') * 1024, anon: field('RssAnon') * 1024, file: field('RssFile') * 1024, threads: field('Threads') };
}

/** Resident bytes by kind of mapping: the node binary, native addons (.node), other files, anonymous. */
function mappings(pid: number): Record<'node' | 'addons' | 'libraries' | 'anonymous', number> {
  const sums = { node: 0, addons: 0, libraries: 0, anonymous: 0 };
  let kind: keyof typeof sums = 'anonymous';
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const head = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) {
      const path = head[1]!;
      kind = path === '' || path.startsWith('[') ? 'anonymous' : path === process.execPath ? 'node' : path.endsWith('.node') ? 'addons' : 'libraries';
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss) sums[kind] += Number(rss[1]) * 1024;
  }
  return sums;
}

/** A heap snapshot summed by node kind (objects by constructor): bytes and counts, largest first. */
function snapshotSummary(file: string): { key: string; bytes: number; count: number }[] {
  const snap = JSON.parse(readFileSync(file, 'utf8')) as {
    snapshot: { meta: { node_fields: string[]; node_types: [string[]] } }; nodes: number[]; strings: string[];
  };
  const fields = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const [width, iType, iName, iSize] = [fields.length, fields.indexOf('type'), fields.indexOf('name'), fields.indexOf('self_size')];
  const sums = new Map<string, { bytes: number; count: number }>();
  for (let i = 0; i < snap.nodes.length; i += width) {
    const type = types[snap.nodes[i + iType]!]!;
    const key = type === 'object' || type === 'native' ? `${type} ${snap.strings[snap.nodes[i + iName]!]}` : type;
    const s = sums.get(key) ?? { bytes: 0, count: 0 };
    s.bytes += snap.nodes[i + iSize]!;
    s.count++;
    sums.set(key, s);
  }
  return [...sums].map(([key, s]) => ({ key, ...s })).sort((a, b) => b.bytes - a.bytes);
}

/** RSS of a bare `node` that loads nothing and waits: the floor under any Node daemon. */
async function nodeFloor(): Promise<Status> {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], { stdio: 'ignore', env: { ...process.env, ...NO_EXTRA_CA } });
  try {
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    return status(child.pid!);
  } finally {
    child.kill();
  }
}

function median(values: readonly number[]): number {
  return [...values].sort((a, b) => a - b)[values.length >> 1]!;
}

/** `npm run bench -- idle` */
export const bench: BenchModule = {
  name: 'idle',
  async run(): Promise<BenchSection> {
    const load0 = loadavg();
    const floor = await nodeFloor();
    const h = new DaemonHarness('benchidle', '');
    h.entry = BUNDLE_ENTRY; // what users run
    try {
      h.touch(h.path('a.log'));
      h.config.write('jail.local', jailSection('alpha', h.path('a.log')));
      const out = h.path('heap.json');
      const rss: number[][] = VARIANTS.map(() => []);
      let shipped: { status: Status; maps: ReturnType<typeof mappings>; probe: HeapProbeReport; heap: ReturnType<typeof snapshotSummary> } | undefined;
      for (let run = 0; run < RUNS; run++) {
        for (const [i, v] of VARIANTS.entries()) {
          h.env = { ...NO_EXTRA_CA, ...v.env, NODE_OPTIONS: `${v.options} --import ${PROBE}`.trim(), F2B_BENCH_HEAP_OUT: out };
          await h.start();
          await new Promise((r) => setTimeout(r, SETTLE_MS));
          const pid = h.child!.pid!;
          const st = status(pid);
          rss[i]!.push(st.rss);
          if (i === 0 && run === 0) {
            await new Promise((r) => setTimeout(r, LONG_SETTLE_MS - SETTLE_MS));
            const settled = status(pid);
            const maps = mappings(pid);
            process.kill(pid, 'SIGWINCH');
            if (!(await waitFor(() => existsSync(`${out}.done`), 60_000, 50))) throw new Error(`heap probe wrote no ${out}.done`);
            const probe = JSON.parse(readFileSync(out, 'utf8')) as HeapProbeReport;
            shipped = { status: settled, maps, probe, heap: snapshotSummary(`${out}.heapsnapshot`) };
          }
          await h.signal('SIGTERM');
          h.ns.run('nft', ['flush', 'ruleset']);
        }
      }
      const s = shipped!;
      const space = (name: string): number => s.probe.spaces.find((x) => x.name === name)?.committed ?? 0;
      const heapCommitted = s.probe.spaces.reduce((a, x) => a + x.committed, 0);
      const count = (key: string): number => s.heap.find((x) => x.key === key)?.count ?? 0;
      const load1 = loadavg();
      const figures: BenchFigure[] = [
        { name: `RSS idle, one jail, as shipped (median of ${RUNS} starts)`, value: mb(median(rss[0]!)), unit: 'MB', target: '≤ 55 MB', compare: { label: 'bare node idling', value: mb(floor.rss) } },
        { name: `RSS idle, as shipped, ${LONG_SETTLE_MS / 1000} s after ready (first start; the breakdown below is taken then)`, value: mb(s.status.rss), unit: 'MB', target: '≤ 55 MB' },
        ...VARIANTS.slice(1).map((v, i) => ({ name: `RSS idle with ${v.label}`, value: mb(median(rss[i + 1]!)), unit: 'MB' })),
        { name: '… anonymous memory (V8 heap, malloc, thread stacks)', value: mb(s.status.anon), unit: 'MB', compare: { label: 'bare node', value: mb(floor.anon) } },
        { name: '… file pages: the node binary', value: mb(s.maps.node), unit: 'MB' },
        { name: '… file pages: native addons (koffi, better-sqlite3)', value: mb(s.maps.addons), unit: 'MB' },
        { name: '… file pages: other libraries and files', value: mb(s.maps.libraries), unit: 'MB' },
        { name: '… file pages, all', value: mb(s.status.file), unit: 'MB', compare: { label: 'bare node', value: mb(floor.file) } },
        { name: 'threads', value: s.status.threads, unit: '', compare: { label: 'bare node', value: floor.threads } },
        { name: 'V8 heap committed, all spaces', value: mb(heapCommitted), unit: 'MB' },
        { name: '… new space (young generation; mostly empty at idle)', value: mb(space('new_space')), unit: 'MB' },
        { name: '… old space', value: mb(space('old_space')), unit: 'MB' },
        { name: '… code space', value: mb(space('code_space')), unit: 'MB' },
        { name: 'V8 heap used', value: mb(s.probe.memory.heapUsed), unit: 'MB' },
        { name: '… of it bytecode and code (with metadata)', value: mb(s.probe.code.bytecode + s.probe.code.code), unit: 'MB' },
        { name: 'module source text V8 keeps (outside the heap)', value: mb(s.probe.code.source), unit: 'MB' },
        { name: 'ArrayBuffers and Buffers (outside the heap)', value: mb(s.probe.memory.arrayBuffers), unit: 'MB' },
        { name: 'ES modules loaded (ModuleWrap objects in the snapshot)', value: count('object ModuleWrap'), unit: '' },
        { name: 'CommonJS modules loaded (packages: pino, better-sqlite3, koffi…)', value: count('object Module'), unit: '' },
      ];
      const top = s.heap.slice(0, 12).map((x) => `${x.key} ${(x.bytes / 1024).toFixed(0)} kB (${x.count})`).join('; ');
      return {
        title: 'Idle daemon: what holds the RSS',
        command: 'npm run bench -- idle',
        figures,
        notes: [
          `A real \`f2b-fw run\` (nftables, one jail following an empty file, no bans) in a network namespace, measured ${SETTLE_MS / 1000} s after \`ready\` (and the first start again ${LONG_SETTLE_MS / 1000} s after, once V8's idle-time memory reducer has run; the daemon's own compaction runs 0.1 s and 2 s after ready); ${RUNS} starts per variant, interleaved, all with NODE_EXTRA_CA_CERTS unset (as under the unit) but the variant that says otherwise. RSS from /proc/PID/status, split by mapping from /proc/PID/smaps. "Bare node" is \`node -e 'setTimeout(…)'\` idling: Node's own floor (its binary's touched pages, V8's initial heap, its threads).`,
          'The V8 figures come from bench/support/heap-probe.ts, preloaded into the daemon with NODE_OPTIONS=--import (it adds nothing the product loads).',
          `Heap snapshot of the idle daemon, largest kinds (bytes, count): ${top}.`,
          `Machine load (1/5/15-min load average) at the start: ${load0.map((x) => x.toFixed(2)).join(' / ')}, at the end: ${load1.map((x) => x.toFixed(2)).join(' / ')}.`,
        ],
      };
    } finally {
      await h.destroy();
    }
  },
};
