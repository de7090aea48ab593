/**
 * The machine lab owns what it starts (issue 15 (b)): its booted containers, their overlay mounts,
 * its network namespaces and its run dir /tmp/f2bmlPID are gone once the test process that ran it
 * has ended when that process got SIGTERM, and once run.sh has ended when its runner was killed with SIGKILL; and a run.sh
 * killed with SIGKILL (its containers live on: nspawn runs in a session of its own) is swept by the
 * next run. The machines are the real ones (test/machine-lab/run.sh nspawn with F2B_LAB_HOLD: boot,
 * then wait), started through the same runOwned as test/machine-lab.test.ts.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { onCleanup } from './support/cleanup.js';
import { groupRunning } from './support/lab-run.js';
import { waitFor } from './support/netns.js';

const CHILD = join(fileURLToPath(new URL('.', import.meta.url)), 'support', 'lab-hold-child.js');

/** What run.sh reported when its machines were up: its pid (= process group), run dir, container pids. */
interface Held { readonly child: number; readonly runSh: number; readonly tag: string; readonly dir: string; readonly pids: readonly number[] }

interface Started {
  readonly proc: ChildProcess;
  /** The "# held" line, or the SKIP reason. */
  readonly held: Promise<Held | { skip: string }>;
  /** Resolves when every process holding our stdout pipe (the test process) has exited. */
  readonly ended: Promise<void>;
  readonly output: () => string;
}

/** A runner stand-in: starts the test process with our stdout and stays until killed. */
const RUNNER = `require('node:child_process').spawn(process.execPath, [${JSON.stringify(CHILD)}], { stdio: 'inherit' }).on('exit', (c) => process.exit(c ?? 1)); setInterval(() => {}, 1e6);`;

function start(viaRunner: boolean): Started {
  const proc = spawn(process.execPath, viaRunner ? ['-e', RUNNER] : [CHILD], { stdio: ['ignore', 'pipe', 'pipe'] });
  const stop = onCleanup(() => { try { proc.kill('SIGTERM'); } catch { /* gone */ } });
  let out = '';
  proc.stderr!.setEncoding('utf8').on('data', (c: string) => { out += c; });
  const ended = new Promise<void>((r) => proc.stdout!.once('close', () => { stop(); r(); }));
  const held = new Promise<Held | { skip: string }>((resolve, reject) => {
    proc.stdout!.setEncoding('utf8').on('data', (c: string) => {
      out += c;
      const skip = /^SKIP: (.*)$/m.exec(out);
      if (skip) resolve({ skip: skip[1]! });
      const child = /^# child (\d+)$/m.exec(out);
      const m = /^# held (\/tmp\/(f2bml(\d+))) ([\d ]+)$/m.exec(out);
      if (m && child) resolve({ child: Number(child[1]), runSh: Number(m[3]), dir: m[1]!, tag: m[2]!, pids: m[4]!.trim().split(/\s+/).map(Number) });
    });
    void ended.then(() => reject(new Error(`the lab ended before its machines were up:\n${out}`)));
  });
  return { proc, held, ended, output: () => out };
}

/** A process that exists and is not a zombie. */
function running(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/s.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** Everything of the run `h` that still exists, named. */
function leftovers(h: Held): string[] {
  const left: string[] = [];
  if (existsSync(h.dir)) left.push(`dir ${h.dir}`);
  for (const ns of readdirSync('/run/netns')) if (ns.startsWith(`${h.tag}-`)) left.push(`netns ${ns}`);
  for (const line of readFileSync('/proc/self/mounts', 'utf8').split('\n')) if (line.includes(` ${h.dir}/`)) left.push(`mount ${line.split(' ')[1]}`);
  for (const pid of h.pids) if (running(pid)) left.push(`container process ${pid}`);
  if (groupRunning(h.runSh)) left.push(`process group ${h.runSh} (run.sh)`);
  if (running(h.child)) left.push(`test process ${h.child}`);
  return left;
}

/** Starts a held lab; skips the test when the lab cannot run here. */
async function hold(t: TestContext, viaRunner = false): Promise<{ s: Started; h: Held } | undefined> {
  if (process.getuid?.() !== 0) { t.skip('needs root (containers and network namespaces)'); return undefined; }
  const s = start(viaRunner);
  const h = await s.held;
  if ('skip' in h) { t.skip(h.skip); s.proc.kill('SIGTERM'); await s.ended; return undefined; }
  assert.equal(h.pids.length, 4, `two containers, nspawn and init each: ${s.output()}`);
  for (const pid of h.pids) assert.ok(running(pid), `container process ${pid} runs`);
  return { s, h };
}

// The first start may build the lab's root file system (~6 min, then cached).
const TIMEOUT = { timeout: 1_800_000 };

test('SIGTERM to the test process: nothing of the lab is left once it has exited', TIMEOUT, async (t) => {
  const run = await hold(t);
  if (!run) return;
  run.s.proc.kill('SIGTERM');
  await run.s.ended;
  assert.deepEqual(leftovers(run.h), []);
});

test('the runner killed with SIGKILL: its test process follows, and run.sh removes the lab', TIMEOUT, async (t) => {
  const run = await hold(t, true);
  if (!run) return;
  run.s.proc.kill('SIGKILL');
  await run.s.ended;
  // The test process ends on its parent's death (PDEATHSIG); about half the time it is gone before
  // run.sh's cleanup has finished (why its synchronous stop returns early then is not known), and
  // run.sh's own watcher of F2B_LAB_OWNER finishes it: wait for run.sh's group, then nothing is left.
  assert.ok(await waitFor(() => !groupRunning(run.h.runSh), 120_000, 100), `run.sh (${run.h.runSh}) still runs after 120 s`);
  assert.deepEqual(leftovers(run.h), []);
});

test('run.sh killed with SIGKILL leaves its containers running; the next run sweeps them first', TIMEOUT, async (t) => {
  const first = await hold(t);
  if (!first) return;
  process.kill(-first.h.runSh, 'SIGKILL');
  await first.s.ended;
  const orphaned = leftovers(first.h);
  assert.ok(orphaned.some((l) => l.startsWith('container process')) && orphaned.includes(`dir ${first.h.dir}`), `left: ${orphaned.join(', ')}`);
  const next = await hold(t);
  if (!next) return;
  assert.match(next.s.output(), new RegExp(`# sweeping ${first.h.dir} `));
  assert.deepEqual(leftovers(first.h), []);
  next.s.proc.kill('SIGTERM');
  await next.s.ended;
  assert.deepEqual(leftovers(next.h), []);
});
