/**
 * A real f2b-fw daemon for tests and benchmarks: `node CLI run …` started with
 * `ip netns exec` in a namespace of its own, a temp config dir (jail.local,
 * a test filter), its own database, socket and pid file, log files written by
 * the test. Stdout (JSON log lines) is collected for assertions.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI_ENTRY } from '../../src/core/paths.js';
import { Netns, waitFor } from './netns.js';
import { tempConfigDir, type TempConfigDir } from './config-files.js';

/** A JSON log line of the daemon. */
export interface LogEntry {
  readonly level: number;
  readonly msg: string;
  readonly event?: string;
  readonly jail?: string;
  readonly addr?: string;
  readonly [key: string]: unknown;
}

/** The test filter: one failure per `FAIL login from <HOST>` line, no date (time = now). */
export const TEST_FILTER = '[Definition]\nfailregex = ^FAIL login from <HOST>$\nignoreregex =\ndatepattern = {NONE}\n';

/** A jail section for jail.local. */
export function jailSection(name: string, logfile: string, extra: Record<string, string> = {}): string {
  const keys = { enabled: 'true', filter: 'f2btest', logpath: logfile, maxretry: '1', findtime: '10m', bantime: '10m', port: 'all', ignoreip: '', ...extra };
  return `[${name}]\n${Object.entries(keys).map(([k, v]) => `${k} = ${v}`).join('\n')}\n`;
}

/** One daemon instance under test. */
export class DaemonHarness {
  readonly ns: Netns;
  readonly config: TempConfigDir;
  readonly db: string;
  readonly socket: string;
  readonly pidfile: string;
  child: ChildProcess | null = null;
  logs: LogEntry[] = [];
  /** Extra environment for the daemon (e.g. a PATH whose `iptables` is iptables-legacy). */
  env: Record<string, string> = {};
  /** The CLI run for the daemon and the client commands: the tsc tree (tests) or the bundle, BUNDLE_ENTRY (benchmarks). */
  entry = CLI_ENTRY;
  /** Node options for the daemon's process only (e.g. `--cpu-prof`, which NODE_OPTIONS refuses). */
  nodeArgs: readonly string[] = [];
  private stderr = '';

  /** `db`: where the database lives (default: inside the temp config dir). */
  constructor(label: string, jailLocal: string, files: Record<string, string> = {}, db?: string) {
    this.ns = Netns.create(label);
    this.config = tempConfigDir({ 'filter.d/f2btest.conf': TEST_FILTER, 'jail.local': jailLocal, ...files });
    this.db = db ?? join(this.config.dir, 'state', 'f2b.sqlite3');
    this.socket = join(this.config.dir, 'run', 'f2b.sock');
    this.pidfile = join(this.config.dir, 'run', 'f2b.pid');
  }

  /** A path inside the config dir (for log files). */
  path(rel: string): string {
    return join(this.config.dir, rel);
  }

  /** Starts the daemon and waits for its `ready` line (rejects with its stderr if it exits first). */
  async start(extraArgs: readonly string[] = [], timeoutMs = 20_000): Promise<void> {
    this.logs = [];
    this.stderr = '';
    const child = this.ns.spawn('node', [...this.nodeArgs, this.entry, 'run', '--config-dir', this.config.dir, '--db', this.db,
      '--socket', this.socket, '--pidfile', this.pidfile, '--logtarget', 'STDOUT', ...extraArgs], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...this.env } });
    this.child = child;
    let buf = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      buf += chunk;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        try { this.logs.push(JSON.parse(line) as LogEntry); } catch { /* not JSON */ }
      }
    });
    child.stderr!.setEncoding('utf8').on('data', (c: string) => { this.stderr += c; });
    let exited = false;
    child.once('exit', () => { exited = true; });
    const ok = await waitFor(() => exited || this.logs.some((l) => l.event === 'ready'), timeoutMs, 25);
    if (!ok || exited) throw new Error(`daemon did not become ready (exited: ${exited}):\n${this.stderr}\n${this.logs.map((l) => l.msg).join('\n')}`);
  }

  /** Sends a signal and waits for the process to exit; resolves to its exit code. */
  async signal(sig: NodeJS.Signals): Promise<number | null> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return child?.exitCode ?? null;
    const done = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    // `ip netns exec` execs node, so the child's pid is the daemon's.
    child.kill(sig);
    return done;
  }

  /**
   * Runs a client command (`f2b-fw CMD … --socket`) and returns stdout, stderr and exit status.
   * Asynchronous, so the daemon's stdout keeps being drained meanwhile.
   */
  cli(args: readonly string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      const child = spawn('node', [this.entry, ...args, '--socket', this.socket], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (c: string) => { stdout += c; });
      child.stderr.setEncoding('utf8').on('data', (c: string) => { stderr += c; });
      child.on('close', (status) => resolve({ status, stdout, stderr }));
    });
  }

  /** Runs a client command with --json and parses its answer; throws with stderr when it fails. */
  async cliJson<T>(args: readonly string[]): Promise<T> {
    const r = await this.cli([...args, '--json']);
    if (r.status !== 0) throw new Error(`f2b-fw ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
    return JSON.parse(r.stdout) as T;
  }

  /** Appends lines to a log file (created if missing). */
  append(file: string, lines: readonly string[]): void {
    appendFileSync(file, lines.map((l) => `${l}\n`).join(''));
  }

  /** Creates an empty log file. */
  touch(file: string): void {
    writeFileSync(file, '');
  }

  /** Elements of a jail's set (`v4`, `v6`, `v4-net`) with their remaining seconds (null = no timeout); [] when absent. */
  elements(jail: string, set = 'v4'): { addr: string; expires: number | null }[] {
    const r = spawnSync('ip', ['netns', 'exec', this.ns.name, 'nft', '-j', 'list', 'set', 'inet', 'f2b-fw', `${jail}-${set}`], { encoding: 'utf8' });
    if (r.status !== 0) return [];
    const doc = JSON.parse(r.stdout) as { nftables: { set?: { elem?: unknown[] } }[] };
    const elems = doc.nftables.find((o) => o.set)?.set?.elem ?? [];
    return elems.map((e) => {
      const el = (typeof e === 'object' && e !== null && 'elem' in e ? (e as { elem: { val: unknown; expires?: number } }).elem : { val: e }) as { val: unknown; expires?: number };
      const v = el.val as string | { prefix: { addr: string; len: number } };
      return { addr: typeof v === 'string' ? v : `${v.prefix.addr}/${v.prefix.len}`, expires: el.expires ?? null };
    });
  }

  /** Log entries with a given event. */
  events(event: string): LogEntry[] {
    return this.logs.filter((l) => l.event === event);
  }

  /** Kills the daemon if still running and removes namespace and files. */
  async destroy(): Promise<void> {
    if (this.child && this.child.exitCode === null && this.child.signalCode === null) await this.signal('SIGKILL');
    this.ns.destroy();
    this.config.remove();
  }
}
