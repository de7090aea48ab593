/**
 * Lab hosts: each one a network namespace held open by a sleeping process and
 * entered with `nsenter`. Unlike `ip netns add`, this needs no writable /run
 * and works inside an unprivileged user namespace, so the same code serves the
 * root test suite and `f2b-fw demo` run by an ordinary user.
 */
import { execFileSync, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { F2bError } from '../core/errors.js';

/** A command run on a lab host failed. */
export class LabCommandError extends F2bError {
  constructor(host: string, command: readonly string[], stderr: string) {
    super('lab', `on ${host}: ${command.join(' ')} failed: ${stderr.trim()}`);
  }
}

/** One lab machine. */
export class LabHost {
  readonly name: string;
  private readonly holder: ChildProcess;
  private readonly children = new Set<ChildProcess>();

  private constructor(name: string, holder: ChildProcess) {
    this.name = name;
    this.holder = holder;
  }

  /** Starts a host: a fresh network namespace with loopback up. */
  static start(name: string): LabHost {
    const holder = spawn('unshare', ['--net', '--', 'sleep', 'infinity'], { stdio: 'ignore' });
    if (holder.pid === undefined) throw new LabCommandError(name, ['unshare', '--net'], 'could not start');
    const host = new LabHost(name, holder);
    host.waitForNamespace();
    host.run('ip', ['link', 'set', 'lo', 'up']);
    return host;
  }

  /** The pid whose network namespace this host is (for `ip link set … netns PID`). */
  get pid(): number {
    return this.holder.pid!;
  }

  /** `unshare` execs `sleep` only once the namespace exists: wait until the pid runs sleep. */
  private waitForNamespace(): void {
    for (let i = 0; i < 200; i++) {
      try {
        if (execFileSync('cat', [`/proc/${this.pid}/comm`], { encoding: 'utf8' }).trim() === 'sleep') return;
      } catch {
        /* not there yet */
      }
      execFileSync('sleep', ['0.01']);
    }
    throw new LabCommandError(this.name, ['unshare', '--net'], 'namespace did not come up');
  }

  /** The argv prefix that runs a command inside this host's network namespace. */
  prefix(): string[] {
    return ['nsenter', '-t', String(this.pid), '-n', '--'];
  }

  /** Runs a command on the host and returns its stdout; throws LabCommandError on failure. */
  run(cmd: string, args: readonly string[], input?: string): string {
    const [n, ...pre] = this.prefix();
    try {
      return execFileSync(n!, [...pre, cmd, ...args], { encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'] });
    } catch (e) {
      const err = e as { stderr?: string; message: string };
      throw new LabCommandError(this.name, [cmd, ...args], err.stderr || err.message);
    }
  }

  /** Runs a command and reports success instead of throwing. */
  try(cmd: string, args: readonly string[]): boolean {
    try {
      this.run(cmd, args);
      return true;
    } catch {
      return false;
    }
  }

  /** Starts a long-running process on the host; it is killed by `stop()`. */
  spawn(cmd: string, args: readonly string[], options: SpawnOptions = {}): ChildProcess {
    const [n, ...pre] = this.prefix();
    const child = spawn(n!, [...pre, cmd, ...args], options);
    this.children.add(child);
    child.on('exit', () => this.children.delete(child));
    return child;
  }

  /** Kills every process this host started, then the namespace holder. */
  stop(): void {
    for (const child of this.children) child.kill('SIGKILL');
    this.holder.kill('SIGKILL');
  }
}
