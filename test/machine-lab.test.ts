/**
 * The machine lab (test/machine-lab/): the .deb built by `npm run package`, installed with apt on a
 * booted Debian 12 router container (systemd-nspawn) with real sshd, journald, rsyslog, logrotate and
 * nftables.service, attacked over the network from namespaces. The scenario script is the one the
 * Vagrantfile's VMs run; each of its "ok - …" lines becomes a subtest here. A missing tool or Debian
 * mirror is a skip naming it; a failed step fails with the script's output.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../src/core/paths.js';
import { followParent, onCleanup } from './support/cleanup.js';
import { runOwned } from './support/lab-run.js';

const out = mkdtempSync(join(tmpdir(), 'f2bt-machine-lab-'));
after(onCleanup(() => rmSync(out, { recursive: true, force: true })));
// A runner killed midway (even by SIGKILL) takes this process down, and with it the lab.
followParent();
const run = (file: string, args: readonly string[], timeoutMs: number) => runOwned(file, args, timeoutMs).done;

// Its own timeout: about 90 s to 3 minutes on an idle 2-core machine with the rootfs cached (package
// ~70 s, scenario ~65–115 s); a cold cache adds ~11 min (debootstrap, better-sqlite3 for node 18). npm
// test's --test-timeout (30 min) bounds each test file too, so it is sized for that first run.
test('machine lab: the .deb on a booted Debian 12 router under systemd, attacked with real ssh', { timeout: 2_400_000 }, async (t) => {
  if (process.getuid?.() !== 0) { t.skip('needs root (containers and network namespaces)'); return; }
  const build = await run(join(PACKAGE_ROOT, 'packaging', 'build-deb.sh'), [out], 1_200_000);
  if (build.status === 5) { t.skip(`no .deb: ${build.stderr.trim().split('\n').slice(-3).join(' / ')}`); return; }
  assert.equal(build.status, 0, `packaging/build-deb.sh failed:\n${build.stderr}`);
  const deb = build.stdout.trim().split('\n').pop()!;
  assert.match(deb, /f2b-fw_[\d.]+_\w+\.deb$/);

  const lab = await run(join(PACKAGE_ROOT, 'test', 'machine-lab', 'run.sh'), ['nspawn', deb], 1_800_000);
  const skip = /^SKIP: (.*)$/m.exec(lab.stdout);
  if (lab.status === 77 && skip) { t.skip(skip[1]!); return; }
  for (const m of lab.stdout.matchAll(/^ok - (.*)$/gm)) await t.test(m[1]!, () => undefined);
  for (const m of lab.stdout.matchAll(/^# (.* in \d+ s.*)$/gm)) t.diagnostic(m[1]!);
  const failed = /^not ok - (.*)$/m.exec(lab.stdout);
  assert.equal(lab.status, 0, `${failed ? failed[1] : `run.sh exited ${lab.status}`}\n--- stdout\n${lab.stdout}\n--- stderr\n${lab.stderr}`);
});
