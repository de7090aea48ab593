/**
 * One cleanup registry per test process: whatever a test creates on the host
 * (namespaces, mounts, child processes) registers its removal here, so it is
 * undone in the test's own `finally` and, should the runner kill the process
 * or a test throw past its cleanup, on exit and on SIGINT/SIGTERM/SIGHUP too.
 * Every cleanup must be synchronous (exit handlers cannot wait) and idempotent.
 */

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
