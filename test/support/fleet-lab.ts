/**
 * The fleet lab: a real `redis-server` in a namespace of its own holding a
 * bridge, and f2b-fw daemons (DaemonHarness) in namespaces joined to that
 * bridge by veth pairs. Redis keeps its files in a temp dir (append-only file,
 * fsync always, so a SIGKILL loses nothing) and is killed by the lab; nothing
 * runs as a host service. Addresses: 192.0.2.1 (Redis), 192.0.2.11… (members).
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Netns, link, waitFor } from './netns.js';
import { DaemonHarness } from './daemon-harness.js';

/** The ACL of the lab (docs/fleet.md's example): a user with only the fleet's keys and commands. */
export function fleetAcl(user: string, password: string, prefix = 'f2b-fw:'): string {
  return `user ${user} on >${password} ~${prefix}* resetchannels -@all +ping +auth +hello +client|setname +select +set +del +xadd +xread +xrange +xrevrange +scan +mget`;
}

/** The Redis password of the lab's members. */
export const LAB_PASSWORD = 'lab-secret-7Hq';

/** A redis-server in its own namespace. */
export class RedisNode {
  readonly ns: Netns;
  readonly dir: string;
  readonly addr = '192.0.2.1';
  private child: ChildProcess | null = null;
  private ports = 0;
  /** What the running redis-server printed (for failure messages). */
  output: () => string = () => '';

  constructor(private readonly extraConf: readonly string[] = []) {
    this.ns = Netns.create('redis');
    this.dir = mkdtempSync(join(tmpdir(), 'f2b-fw-redis-'));
    this.ns.run('ip', ['link', 'add', 'br0', 'type', 'bridge']);
    this.ns.run('ip', ['addr', 'add', `${this.addr}/24`, 'dev', 'br0']);
    this.ns.run('ip', ['link', 'set', 'br0', 'up']);
    writeFileSync(join(this.dir, 'users.acl'), `user default off\n${fleetAcl('f2b', LAB_PASSWORD)}\nuser admin on >admin-pw ~* &* +@all\n`);
    writeFileSync(join(this.dir, 'redis.conf'), [
      `bind ${this.addr}`, 'port 6379', 'protected-mode no', `dir ${this.dir}`, 'save ""',
      'appendonly yes', 'appendfsync always', `aclfile ${join(this.dir, 'users.acl')}`, 'daemonize no', 'logfile ""',
      ...this.extraConf, '',
    ].join('\n'));
  }

  /** Joins `member`'s namespace to the bridge with address 192.0.2.(10 + n). */
  attach(member: DaemonHarness): string {
    const n = ++this.ports;
    const addr = `192.0.2.${10 + n}`;
    link(this.ns, `p${n}`, [], member.ns, 'eth0', [`${addr}/24`]);
    this.ns.run('ip', ['link', 'set', `p${n}`, 'master', 'br0']);
    return addr;
  }

  /** Starts redis-server and waits until it accepts connections. */
  async start(): Promise<void> {
    const child = this.ns.spawn('redis-server', [join(this.dir, 'redis.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    let out = '';
    this.output = () => out;
    child.stdout!.setEncoding('utf8').on('data', (c: string) => { out += c; });
    child.stderr!.setEncoding('utf8').on('data', (c: string) => { out += c; });
    const ok = await waitFor(() => /Ready to accept connections/.test(out) || child.exitCode !== null, 10_000, 20);
    if (!ok || child.exitCode !== null) throw new Error(`redis-server did not start:\n${out}`);
  }

  /** Kills redis-server (SIGKILL) and waits for it to be gone. */
  async kill(): Promise<void> {
    const c = this.child;
    this.child = null;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const gone = new Promise((r) => c.once('exit', r));
    c.kill('SIGKILL');
    await gone;
  }

  /** Runs redis-cli as the admin user; `stdin` becomes the last argument (-x), for values too big for argv. */
  cli(args: readonly string[], stdin?: string): string {
    return this.ns.run('redis-cli', ['--no-auth-warning', '-h', this.addr, '--user', 'admin', '--pass', 'admin-pw', ...(stdin === undefined ? [] : ['-x']), ...args], stdin);
  }

  /** Stops Redis and removes namespace and files. */
  async destroy(): Promise<void> {
    await this.kill();
    this.ns.destroy();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** f2b-fw.conf of a member. */
export function memberConf(node: string, fleet: Record<string, string> = {}): string {
  const keys = { url: `redis://f2b:${LAB_PASSWORD}@192.0.2.1:6379`, node, ...fleet };
  return `[Fleet]\n${Object.entries(keys).map(([k, v]) => `${k} = ${v}`).join('\n')}\n`;
}
