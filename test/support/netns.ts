/**
 * Network namespaces for tests: every test that touches netfilter makes its own,
 * wires them with veth pairs, and removes them afterwards (also on failure).
 * Only documentation ranges are used: 192.0.2.0/24, 198.51.100.0/24,
 * 203.0.113.0/24, 2001:db8::/32.
 */
import { execFileSync, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { onCleanup } from './cleanup.js';
import { alive } from '../../src/daemon/pidfile.js';

/** Where `ip netns` keeps its names. */
const NETNS_DIR = '/run/netns';
/** `f2bt-<label>-p<creator pid in base 36>-<random>`: the creator's pid tells a stale namespace from a live run's. */
const OURS = /^f2bt-.+-p([0-9a-z]+)-[0-9a-f]{6}$/;

let swept = false;

/**
 * Removes namespaces a killed test runner left behind: only ours (named with
 * their creator's pid), only when that process is gone, only when older than
 * this process. Other runs' and other tools' namespaces are never touched.
 */
function sweepStale(): void {
  if (swept) return;
  swept = true;
  const startedAt = Date.now() - process.uptime() * 1000;
  let names: string[];
  try {
    names = readdirSync(NETNS_DIR);
  } catch {
    return;
  }
  for (const name of names) {
    const m = OURS.exec(name);
    if (!m) continue;
    const pid = parseInt(m[1]!, 36);
    if (pid === process.pid || alive(pid)) continue;
    try {
      if (statSync(`${NETNS_DIR}/${name}`).mtimeMs >= startedAt) continue;
    } catch {
      continue;
    }
    removeNamespace(name);
  }
}

/** Kills every process in a namespace and deletes it (nothing when it is gone). */
function removeNamespace(name: string): void {
  try {
    const pids = sh('ip', ['netns', 'pids', name]).split(/\s+/).filter(Boolean);
    for (const pid of pids) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
  } catch {
    /* namespace already gone */
  }
  try {
    sh('ip', ['netns', 'del', name]);
  } catch {
    /* already gone */
  }
}

/** Runs a command and returns its stdout; throws with stderr on failure. */
export function sh(cmd: string, args: readonly string[], input?: string): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')} failed: ${err.stderr ?? err.message}`);
  }
}

/** One network namespace owned by a test. */
export class Netns {
  readonly name: string;
  private release: (() => void) | null = null;
  private constructor(name: string) {
    this.name = name;
  }

  /**
   * Creates a fresh namespace `f2bt-<label>-p<pid>-<random>` with loopback up.
   * Its removal is registered with the cleanup registry (run on exit and on
   * signals too); the first call sweeps namespaces left by killed runners.
   */
  static create(label: string): Netns {
    sweepStale();
    const name = `f2bt-${label}-p${process.pid.toString(36)}-${randomBytes(3).toString('hex')}`;
    sh('ip', ['netns', 'add', name]);
    const ns = new Netns(name);
    ns.release = onCleanup(() => ns.remove());
    ns.run('ip', ['link', 'set', 'lo', 'up']);
    return ns;
  }

  /** Runs a command inside the namespace, returning stdout. */
  run(cmd: string, args: readonly string[], input?: string): string {
    return sh('ip', ['netns', 'exec', this.name, cmd, ...args], input);
  }

  /** Runs a command inside the namespace and reports success instead of throwing. */
  try(cmd: string, args: readonly string[]): boolean {
    try {
      this.run(cmd, args);
      return true;
    } catch {
      return false;
    }
  }

  /** Starts a long-running process inside the namespace. */
  spawn(cmd: string, args: readonly string[], options: SpawnOptions = {}): ChildProcess {
    return spawn('ip', ['netns', 'exec', this.name, cmd, ...args], options);
  }

  /** Enables forwarding (IPv4 and IPv6) for a router namespace. */
  enableForwarding(): void {
    this.run('sysctl', ['-q', '-w', 'net.ipv4.ip_forward=1']);
    this.run('sysctl', ['-q', '-w', 'net.ipv6.conf.all.forwarding=1']);
  }

  /** Removes the namespace and every process left in it. */
  destroy(): void {
    if (this.release) {
      const release = this.release;
      this.release = null;
      release();
      return;
    }
    this.remove();
  }

  private remove(): void {
    removeNamespace(this.name);
  }

}

/** An address to give one end of a link, e.g. `192.0.2.1/24` or `2001:db8:1::1/64`. */
export type Cidr = string;

/**
 * Joins two namespaces with a veth pair and assigns addresses.
 * Interface names are `<a-suffix>` inside each namespace, given by the caller.
 */
export function link(
  a: Netns, aIf: string, aAddrs: readonly Cidr[],
  b: Netns, bIf: string, bAddrs: readonly Cidr[],
): void {
  const tmpA = `v${randomBytes(4).toString('hex')}`;
  const tmpB = `v${randomBytes(4).toString('hex')}`;
  sh('ip', ['link', 'add', tmpA, 'type', 'veth', 'peer', 'name', tmpB]);
  sh('ip', ['link', 'set', tmpA, 'netns', a.name]);
  sh('ip', ['link', 'set', tmpB, 'netns', b.name]);
  for (const [ns, tmp, ifname, addrs] of [[a, tmpA, aIf, aAddrs], [b, tmpB, bIf, bAddrs]] as const) {
    ns.run('ip', ['link', 'set', tmp, 'name', ifname]);
    for (const addr of addrs) {
      const v6 = addr.includes(':');
      ns.run('ip', [...(v6 ? ['-6'] : []), 'addr', 'add', addr, 'dev', ifname, ...(v6 ? ['nodad'] : [])]);
    }
    ns.run('ip', ['link', 'set', ifname, 'up']);
  }
}

/**
 * Tries a TCP connection from inside `ns` to host:port with a short timeout.
 * Returns true when the connection is established.
 */
export function canConnect(ns: Netns, host: string, port: number, timeoutSec = 1): boolean {
  return ns.try('nc', ['-z', '-w', String(timeoutSec), host, String(port)]);
}

/**
 * Starts a TCP listener in `ns` on port that accepts connections forever
 * (socat fork). Returns the child; kill it or destroy the namespace to stop.
 */
export function listen(ns: Netns, port: number, v6 = false): ChildProcess {
  const addr = v6 ? `TCP6-LISTEN:${port},fork,reuseaddr,ipv6only=1` : `TCP4-LISTEN:${port},fork,reuseaddr`;
  return ns.spawn('socat', [addr, 'SYSTEM:true'], { stdio: 'ignore' });
}

/** Waits until `check` returns true or the deadline passes. */
export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 5000, stepMs = 50): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, stepMs));
  }
  return check();
}

/** Snapshot of the host firewall, to assert a test left it untouched. */
export function hostFirewallSnapshot(): string {
  const parts = [sh('nft', ['list', 'ruleset'])];
  for (const cmd of ['iptables-save', 'ip6tables-save']) {
    try {
      parts.push(sh(cmd, []).replace(/^#.*$/gm, ''));
    } catch {
      /* not installed */
    }
  }
  return parts.join('\n');
}
