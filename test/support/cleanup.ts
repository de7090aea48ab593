/**
 * One cleanup registry per test process: whatever a test creates on the host
 * (namespaces, mounts, child processes) registers its removal here, so it is
 * undone in the test's own `finally` and, should the runner kill the process
 * or a test throw past its cleanup, on exit and on SIGINT/SIGTERM/SIGHUP too.
 * Every cleanup must be synchronous (exit handlers cannot wait) and idempotent.
 */

import { readFileSync } from 'node:fs';
import koffi from 'koffi';

type Cleanup = () => void;

const pending = new Map<number, Cleanup>();
let nextId = 0;
let installed = false;

function runAll(): void {
  // Newest first: a mount made inside a temp dir goes before the dir.
  for (const id of [...pending.keys()].reverse()) {
    const fn = pending.get(id);
    pending.delete(id);
    try {
      fn?.();
    } catch {
      /* best effort: the others still run */
    }
  }
}

function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', runAll);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      runAll();
      process.kill(process.pid, sig);
    });
  }
}

/** Registers `fn`; returns a function that runs it now (once) and unregisters it. */
export function onCleanup(fn: Cleanup): () => void {
  install();
  const id = nextId++;
  pending.set(id, fn);
  return () => {
    if (!pending.has(id)) return;
    pending.delete(id);
    fn();
  };
}

/** prctl(2) options: PR_SET_PDEATHSIG, and the signal it is given. */
const PR_SET_PDEATHSIG = 1;
const SIGTERM = 15;

/**
 * Makes this process follow its parent (the test runner): when the parent dies, even by SIGKILL,
 * the kernel sends this process SIGTERM (prctl PR_SET_PDEATHSIG), so its cleanups run and it ends,
 * instead of living on as an orphan that still owns containers and namespaces.
 */
export function followParent(): void {
  install();
  const parent = process.ppid;
  const prctl = koffi.load('libc.so.6').func('int prctl(int option, unsigned long a2, unsigned long a3, unsigned long a4, unsigned long a5)') as
    (option: number, a2: number, a3: number, a4: number, a5: number) => number;
  prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0);
  // The parent may have died before the prctl took effect: then we already have another parent.
  const now = Number(readFileSync('/proc/self/stat', 'utf8').replace(/^.*\) /s, '').split(' ')[1]);
  if (now !== parent) process.kill(process.pid, 'SIGTERM');
}
