/**
 * The test helpers clean up after themselves (issue 15.4): a test process
 * killed by a signal still removes its namespaces, mounts and temp dirs, and a
 * namespace left by a runner that died without cleaning (SIGKILL) is swept by
 * the next run, while live runs' namespaces and foreign ones stay.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sh } from './support/netns.js';

const CHILD = join(fileURLToPath(new URL('.', import.meta.url)), 'support', 'cleanup-child.js');

const namespaces = (): string[] => sh('ip', ['netns', 'list']).split('\n').map((l) => l.split(' ')[0]!).filter(Boolean);
const mounted = (dir: string): boolean => readFileSync('/proc/self/mounts', 'utf8').split('\n').some((l) => l.split(' ')[1] === dir);

async function startChild(): Promise<{ pid: number; made: { ns: string; tmpfs: string; dir: string }; exited: Promise<unknown> }> {
  const child = spawn(process.execPath, [CHILD], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise((r) => child.once('exit', r));
  const line = await new Promise<string>((resolve) => {
    let buf = '';
    child.stdout!.setEncoding('utf8').on('data', (c: string) => {
      buf += c;
      if (buf.includes('\n')) resolve(buf.split('\n')[0]!);
    });
  });
  return { pid: child.pid!, made: JSON.parse(line) as { ns: string; tmpfs: string; dir: string }, exited };
}

for (const sig of ['SIGTERM', 'SIGINT'] as const) {
  test(`a test process killed by ${sig} removes its namespace, tmpfs and temp dir`, async () => {
    const { pid, made, exited } = await startChild();
    assert.ok(namespaces().includes(made.ns) && mounted(made.tmpfs) && existsSync(made.dir), 'made');
    process.kill(pid, sig);
    await exited;
    assert.ok(!namespaces().includes(made.ns), 'namespace removed');
    assert.ok(!mounted(made.tmpfs) && !existsSync(made.tmpfs), 'tmpfs unmounted and removed');
    assert.ok(!existsSync(made.dir), 'temp dir removed');
  });
}

test('namespaces of a runner that died by SIGKILL are swept by the next run; live and foreign ones stay', async () => {
  const dead = spawnSync('true').pid!;
  const stale = `f2bt-stale-p${dead.toString(36)}-abc123`;
  const live = `f2bt-live-p${process.pid.toString(36)}-abc123`;
  const foreign = 'f2bt-foreign-abc123';
  for (const n of [stale, live, foreign]) sh('ip', ['netns', 'add', n]);
  try {
    // The next run: a fresh test process whose first Netns.create sweeps.
    const { pid, made, exited } = await startChild();
    assert.ok(!namespaces().includes(stale), 'the dead runner\'s namespace is swept');
    assert.ok(namespaces().includes(live), 'a live runner\'s namespace stays');
    assert.ok(namespaces().includes(foreign), 'a namespace without a creator pid stays');
    process.kill(pid, 'SIGKILL');
    await exited;
    // SIGKILL leaves the child's own namespace and tmpfs behind: the next run sweeps the namespace.
    assert.ok(namespaces().includes(made.ns));
    const next = await startChild();
    assert.ok(!namespaces().includes(made.ns), 'swept by the run after');
    process.kill(next.pid, 'SIGTERM');
    await next.exited;
    spawnSync('umount', ['-l', made.tmpfs]);
    spawnSync('rm', ['-rf', made.tmpfs, made.dir]);
  } finally {
    for (const n of [stale, live, foreign]) spawnSync('ip', ['netns', 'del', n]);
  }
});
