/**
 * The machine and the versions a benchmark run measured on, for the head of
 * docs/benchmarks.md: figures mean little without them.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../src/core/paths.js';

/** One run's environment. */
export interface MachineInfo {
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly kernel: string;
  readonly debian: string;
  readonly node: string;
  /** f2b-fw's version and the git commit measured (`+` when the tree had uncommitted changes). */
  readonly f2bfw: string;
  readonly nft: string;
  /** The fail2ban compared with: installed, or Debian's package the modules unpack; FAIL2BAN_NONE if neither. */
  readonly fail2ban: string;
  /** ISO date of the run. */
  readonly date: string;
}

function readOr(path: string, fallback: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return fallback;
  }
}

function commandOutput(cmd: string, args: readonly string[]): string | undefined {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 10_000 }).trim();
  } catch {
    return undefined;
  }
}

function f2bfwVersion(): string {
  const pkg = JSON.parse(readOr(join(PACKAGE_ROOT, 'package.json'), '{}')) as { version?: string };
  const commit = commandOutput('git', ['-C', PACKAGE_ROOT, 'rev-parse', '--short', 'HEAD']);
  const dirty = commandOutput('git', ['-C', PACKAGE_ROOT, 'status', '--porcelain', '--untracked-files=no']);
  return `${pkg.version ?? 'unknown'}${commit ? ` (commit ${commit}${dirty ? '+' : ''})` : ''}`;
}

/** What `fail2ban` reads when no fail2ban is at hand: the modules then measure f2b-fw alone. */
export const FAIL2BAN_NONE = 'not available';

function fail2banVersion(dpkgStatus: string | undefined): string {
  if (dpkgStatus?.startsWith('install ok installed')) return `fail2ban ${dpkgStatus.split(' ').pop()} (installed)`;
  const candidate = /^Version: (\S+)$/m.exec(commandOutput('apt-cache', ['show', '--no-all-versions', 'fail2ban']) ?? '')?.[1];
  return candidate ? `fail2ban ${candidate} (Debian's package, unpacked by the modules that compare, not installed)` : FAIL2BAN_NONE;
}

/** Collects the machine info now; `now` is the run's start time. */
export function machineInfo(now: Date): MachineInfo {
  const cpuinfo = readOr('/proc/cpuinfo', '');
  const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1] ?? cpus()[0]?.model ?? 'unknown';
  const osRelease = readOr('/etc/os-release', '');
  const pretty = /^PRETTY_NAME="?([^"\n]+)"?$/m.exec(osRelease)?.[1] ?? 'unknown';
  const debianVersion = readOr('/etc/debian_version', '');
  const f2b = commandOutput('dpkg-query', ['-W', '-f=${Status} ${Version}', 'fail2ban']);
  return {
    cpu: model.replace(/\s+/g, ' '),
    cores: cpus().length,
    memoryGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    kernel: release(),
    debian: debianVersion === '' ? pretty : `${pretty} (${debianVersion})`,
    node: process.version,
    f2bfw: f2bfwVersion(),
    nft: commandOutput('nft', ['--version'])?.split('\n')[0] ?? 'not installed',
    fail2ban: fail2banVersion(f2b),
    date: now.toISOString(),
  };
}
