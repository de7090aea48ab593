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
  /** `not installed` when Debian's fail2ban is absent (the bench then runs f2b-fw alone). */
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
    fail2ban: f2b?.startsWith('install ok installed') ? `fail2ban ${f2b.split(' ').pop()}` : 'not installed',
    date: now.toISOString(),
  };
}
