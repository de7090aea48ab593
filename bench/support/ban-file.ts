/**
 * `f2b-fw ban JAIL --file PATH` of 100,000 addresses against a real daemon
 * (nftables, in a namespace of its own): client process start → every
 * address in the kernel set (the CLI exits once the daemon answered the
 * last chunk, which is after its kernel transaction and its store commit).
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { BUNDLE_ENTRY } from '../../src/core/paths.js';
import { DaemonHarness, jailSection } from '../../test/support/daemon-harness.js';

/** Wall times of one `ban --file` run. */
export interface BanFileTimes {
  /** Client spawned → CLI exited (all chunks answered: in the kernel and in the store). */
  readonly wallMs: number;
  /** Elements in the jail's v6 set afterwards. */
  readonly inKernel: number;
  /** CPU time the daemon spent on it (user + system, ms): what the load of a shared machine does not inflate much. */
  readonly daemonCpuMs: number;
  /** The daemon's RSS after it (MB). */
  readonly rssMb: number;
}

/** Runs the CLI and resolves with its exit status and stderr. */
function run(args: readonly string[]): Promise<{ status: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BUNDLE_ENTRY, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (c: string) => { stderr += c; });
    child.on('close', (status) => resolve({ status, stderr }));
  });
}

/** User + system CPU time of a process so far (ms; /proc/PID/stat counts in 1/100 s). */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** Elements in a set of the namespace's f2b-fw table (counted from nft's JSON; not timed). */
function countElements(h: DaemonHarness, set: string): number {
  const r = spawnSync('ip', ['netns', 'exec', h.ns.name, 'nft', '-j', 'list', 'set', 'inet', 'f2b-fw', set], { encoding: 'utf8', maxBuffer: 512 * 1024 * 1024 });
  if (r.status !== 0) return 0;
  const doc = JSON.parse(r.stdout) as { nftables: { set?: { elem?: unknown[] } }[] };
  return doc.nftables.find((o) => o.set)?.set?.elem?.length ?? 0;
}

/** `count` IPv6 addresses banned with one `f2b-fw ban --file`. */
export async function banFileRun(count: number): Promise<BanFileTimes> {
  const h = new DaemonHarness('bench-banfile', '');
  try {
    const log = h.path('auth.log');
    h.touch(log);
    h.config.write('jail.local', jailSection('bulk', log, { bantime: '1h' }));
    await h.start();
    const file = h.path('ban.txt');
    writeFileSync(file, Array.from({ length: count }, (_, i) => `2001:db8:${(i >> 16).toString(16)}:${(i & 0xffff).toString(16)}::1\n`).join(''));
    const cpu0 = cpuMs(h.child!.pid!);
    const t0 = performance.now();
    const r = await run(['ban', 'bulk', '--file', file, '--socket', h.socket]);
    const wallMs = performance.now() - t0;
    const daemonCpuMs = cpuMs(h.child!.pid!) - cpu0;
    if (r.status !== 0) throw new Error(`f2b-fw ban --file exited ${r.status}: ${r.stderr}`);
    const status = readFileSync(`/proc/${h.child!.pid}/status`, 'utf8');
    const rss = /^VmRSS:\s+(\d+) kB$/m.exec(status);
    return { wallMs, daemonCpuMs, inKernel: countElements(h, 'bulk-v6'), rssMb: rss ? Math.round(Number(rss[1]) / 102.4) / 10 : NaN };
  } finally {
    await h.destroy();
  }
}
