/**
 * A real Debian fail2ban-server for the side-by-side benchmark, run in a
 * network namespace of its own (`ip netns exec`) on a private config dir
 * (bench/support/fail2ban-config.ts): its nftables action only ever touches
 * that namespace's ruleset. `destroy()` kills it, removes the namespace and
 * the dir; call it in `finally`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { Netns, waitFor } from '../../test/support/netns.js';
import { fail2banConfig, type Fail2banConfig, type Fail2banNftAction } from './fail2ban-config.js';

/** Result of one fail2ban-client call. */
export interface ClientResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** One fail2ban-server in its namespace. */
export class Fail2banServer {
  readonly ns: Netns;
  readonly config: Fail2banConfig;
  private child: ChildProcess | null = null;
  private output = '';

  constructor(label: string, jail: string, action: Fail2banNftAction = 'nftables-allports') {
    this.ns = Netns.create(label);
    try {
      this.config = fail2banConfig(jail, action);
    } catch (e) {
      this.ns.destroy();
      throw e;
    }
  }

  /** The server's pid (python), from its pid file; `ip netns exec` execs it, so it is also the child's pid. */
  get pid(): number {
    return Number(readFileSync(this.config.pidfile, 'utf8').trim());
  }

  /** Starts `fail2ban-server -xf … start` and waits until the jail answers `status`. */
  async start(timeoutMs = 60_000): Promise<void> {
    const c = this.config;
    this.output = '';
    const child = this.ns.spawn('fail2ban-server', ['-xf', '-c', c.dir, '-s', c.socket, '-p', c.pidfile, 'start'], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    for (const s of [child.stdout!, child.stderr!]) s.setEncoding('utf8').on('data', (t: string) => { this.output = (this.output + t).slice(-4000); });
    let exited = false;
    child.once('exit', () => { exited = true; });
    const ok = await waitFor(async () => exited || (existsSync(c.socket) && (await this.client(['status', c.jail])).status === 0), timeoutMs, 100);
    if (!ok || exited) throw new Error(`fail2ban-server did not start (exited: ${exited}):\n${this.output}\n${this.logTail()}`);
  }

  /** Runs `fail2ban-client -c DIR -s SOCK ARGS…` (from the host namespace: it only talks to the socket). */
  client(args: readonly string[]): Promise<ClientResult> {
    return new Promise((resolve) => {
      const child = spawn('fail2ban-client', ['-c', this.config.dir, '-s', this.config.socket, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (t: string) => { stdout += t; });
      child.stderr.setEncoding('utf8').on('data', (t: string) => { stderr += t; });
      child.on('close', (status) => resolve({ status, stdout, stderr }));
    });
  }

  /** `fail2ban-client set JAIL banip IP…`; throws when the client fails. */
  async banip(addrs: readonly string[]): Promise<void> {
    const r = await this.client(['set', this.config.jail, 'banip', ...addrs]);
    if (r.status !== 0) throw new Error(`fail2ban-client banip exited ${r.status}: ${r.stderr}${r.stdout}`);
  }

  /** `fail2ban-client stop` (actionstop removes its table), then waits for the process to end. */
  async stop(timeoutMs = 120_000): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const done = new Promise<void>((r) => child.once('exit', () => r()));
    await this.client(['stop']);
    const timer = new Promise<void>((r) => setTimeout(r, timeoutMs).unref());
    await Promise.race([done, timer]);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }

  /** The last lines of the server's own log file. */
  logTail(): string {
    try {
      return readFileSync(this.config.logfile, 'utf8').split('\n').slice(-20).join('\n');
    } catch {
      return '';
    }
  }

  /** Kills the server if still running, removes the namespace (and whatever ran in it) and the config dir. */
  destroy(): void {
    if (this.child && this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    this.ns.destroy();
    this.config.remove();
  }
}
