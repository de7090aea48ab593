/**
 * The team's shared side-by-side harness (`../shared/bench/`): where it is,
 * which peer daemons it can run here, and the shape of the JSON it writes.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PACKAGE_ROOT } from '../../src/core/paths.js';

/** One latency sample as the harness records it: the 2 ms poll's time and `nft monitor`'s event time. */
export interface HarnessSample {
  readonly cold: boolean;
  readonly pollMs: number | null;
  readonly monitorMs: number | null;
}

/** Memory of the measured daemon, as the harness reads it from /proc (groupRssMB: all its processes). */
export interface HarnessMem {
  readonly rssMB: number;
  readonly hwmMB: number;
  readonly groupRssMB?: number;
}

/** One scenario's result in the harness's JSON (only the fields read here). */
export interface HarnessResult {
  readonly scenario: string;
  readonly skipped?: string;
  readonly n: number;
  readonly poll?: { readonly median: number; readonly p90: number };
  readonly monitor?: { readonly median: number; readonly p90: number };
  readonly samples?: readonly HarnessSample[];
  readonly allInKernelMs: number | null;
  /** CPU seconds the daemon used from the write (or ban command) until all were in the kernel. */
  readonly daemonCpuS?: { readonly self: number; readonly children: number } | null;
  readonly memIdle?: HarnessMem;
  readonly memAfter?: HarnessMem;
  readonly restore?: { readonly restoredAllMs: number | null; readonly target: number };
}

/**
 * The harness folder beside the checkout (a developer's `../shared/bench`, or CI's copy), or where
 * F2B_BENCH_HARNESS points (a worktree elsewhere), if any.
 */
export function harnessDir(): string | undefined {
  const dir = process.env.F2B_BENCH_HARNESS ?? resolve(PACKAGE_ROOT, '..', 'shared', 'bench');
  return existsSync(join(dir, 'bench-ban.mjs')) ? dir : undefined;
}

/** Which peers can run; installs Debian's sshguard and fail2ban when missing (services stay stopped: policy-rc.d). */
export function peersInstalled(log: (t: string) => void): { sshguard: boolean; fail2ban: boolean; why: Record<string, string> } {
  const want = [
    { name: 'sshguard', bin: '/usr/libexec/sshguard/sshg-fw-nft-sets' },
    { name: 'fail2ban', bin: '/usr/bin/fail2ban-server' },
  ];
  const missing = want.filter((w) => !existsSync(w.bin)).map((w) => w.name);
  const why: Record<string, string> = {};
  if (missing.length > 0) {
    log(`installing Debian's ${missing.join(', ')} (never started as a service)`);
    const noStart = existsSync('/usr/sbin/policy-rc.d');
    if (!noStart) why.install = 'not installed, and /usr/sbin/policy-rc.d is missing, so installing would start the services: install them by hand with services disabled';
    else {
      const r = spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', '-o', 'DPkg::Lock::Timeout=600', ...missing], {
        env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, encoding: 'utf8',
      });
      if (r.status !== 0) why.install = `apt-get install ${missing.join(' ')} failed: ${(r.stderr ?? '').trim().split('\n').pop()}`;
    }
  }
  const ok = (name: string): boolean => {
    const found = existsSync(want.find((w) => w.name === name)!.bin);
    if (!found) why[name] = why.install ?? `${name} is not installed`;
    return found;
  };
  return { sshguard: ok('sshguard'), fail2ban: ok('fail2ban'), why };
}
