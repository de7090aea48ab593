/**
 * A stand-in machine-lab test process for test/machine-lab-cleanup.test.ts: follows its parent,
 * boots the lab's containers through runOwned with F2B_LAB_HOLD (run.sh prints "# held DIR PIDS…"
 * and waits), passes run.sh's output on, and waits to be killed. Exits with run.sh's status.
 */
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../../src/core/paths.js';
import { followParent } from './cleanup.js';
import { runOwned } from './lab-run.js';

followParent();
process.stdout.write(`# child ${process.pid}\n`);
const { done } = runOwned(join(PACKAGE_ROOT, 'test', 'machine-lab', 'run.sh'), ['nspawn', '/dev/null'], 1_800_000, {
  env: { F2B_LAB_HOLD: '1' },
  onStdout: (c) => process.stdout.write(c),
});
void done.then((r) => {
  process.stderr.write(r.stderr);
  process.exit(r.status ?? 1);
});
