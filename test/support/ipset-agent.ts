/**
 * Drives an IpsetDriver inside a test network namespace. netlink sockets
 * belong to the namespace of the process that opens them, so the driver runs
 * in a child started with `ip netns exec NS node ipset-agent.js VARIANT`; the
 * test talks to it with newline-delimited JSON (`IpsetAgent.call`).
 *
 * Requests: `{ id, cmd, args }` with cmd reconcile | ban | unban | unbanAll |
 * list | close, or `time` (`{ cmd, args, n }`: runs another command n times,
 * answering each run's duration in µs, for benchmarks) and `spawnIpset`
 * (`{ argv, n }`: times n runs of the `ipset` program from inside the
 * namespace, `{}` in argv replaced by the run's index), `sessionApply`
 * (`{ ops }`: raw IpsetSession.apply on a second socket, answering the
 * refused ops); answers `{ id, ok, result }` or `{ id, ok: false, error: { name, code, message } }`.
 */
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { execFileSync, type ChildProcess } from 'node:child_process';
import { systemClock } from '../../src/core/clock.js';
import { F2bError } from '../../src/core/errors.js';
import { IpsetDriver } from '../../src/fw/ipset/driver.js';
import { IpsetSession } from '../../native/ipset/session.js';
import type { IptablesVariant } from '../../src/fw/iptables.js';
import type { Netns } from './netns.js';

/** An error the agent reported, with the driver error's class name and code. */
export class AgentError extends Error {
  readonly errorName: string;
  readonly code: string | undefined;
  constructor(name: string, code: string | undefined, message: string) {
    super(message);
    this.errorName = name;
    this.code = code;
  }
}

/** Test-side handle on an agent running in a namespace. */
export class IpsetAgent {
  private readonly child: ChildProcess;
  private readonly waiting = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  private nextId = 1;
  readonly warnings: string[] = [];

  private constructor(child: ChildProcess) {
    this.child = child;
    const rl = createInterface({ input: child.stdout! });
    rl.on('line', (line) => {
      const msg = JSON.parse(line) as { id: number; ok: boolean; result?: unknown; warning?: string; error?: { name: string; code?: string; message: string } };
      if (msg.warning !== undefined) {
        this.warnings.push(msg.warning);
        return;
      }
      const w = this.waiting.get(msg.id);
      this.waiting.delete(msg.id);
      if (msg.ok) w?.resolve(msg.result);
      else w?.reject(new AgentError(msg.error!.name, msg.error!.code, msg.error!.message));
    });
    child.on('exit', () => {
      for (const w of this.waiting.values()) w.reject(new Error('ipset agent exited'));
      this.waiting.clear();
    });
  }

  /** Starts an agent in `ns` writing rules with `variant`. */
  static start(ns: Netns, variant: IptablesVariant, extraArgs: readonly string[] = []): IpsetAgent {
    const script = fileURLToPath(import.meta.url);
    const child = ns.spawn('node', [script, variant, ...extraArgs], { stdio: ['pipe', 'pipe', 'inherit'] });
    return new IpsetAgent(child);
  }

  /** Sends one command and waits for its answer. */
  call<T = unknown>(cmd: string, args: unknown = {}): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { resolve: (v) => resolve(v as T), reject });
      this.child.stdin!.write(`${JSON.stringify({ id, cmd, args })}\n`);
    });
  }

  /** Closes the driver and waits for the child to exit. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    await this.call('close').catch(() => undefined);
    this.child.stdin!.end();
    await exited;
  }
}

type Handler = (driver: IpsetDriver, args: Record<string, unknown>) => Promise<unknown>;

const HANDLERS: Record<string, Handler> = {
  reconcile: (d, a) => d.reconcile(a.layout as never, a.bans as never, a.options as never),
  ban: (d, a) => d.ban(a.bans as never),
  unban: (d, a) => d.unban(a.keys as never),
  unbanAll: (d, a) => d.unbanAll(a.jail as string),
  list: (d, a) => d.list(a.jail as string | undefined),
  close: (d) => d.close(),
  time: async (d, a) => {
    const handler = HANDLERS[a.cmd as string]!;
    const out: number[] = [];
    for (let i = 0; i < (a.n as number); i++) {
      const t0 = process.hrtime.bigint();
      await handler(d, a.args as Record<string, unknown>);
      out.push(Number(process.hrtime.bigint() - t0) / 1000);
    }
    return out;
  },
  sessionApply: async (_d, a) => {
    const session = IpsetSession.open();
    try {
      return await session.apply(a.ops as never);
    } finally {
      session.close();
    }
  },
  spawnIpset: async (_d, a) => {
    const out: number[] = [];
    for (let i = 0; i < (a.n as number); i++) {
      const argv = (a.argv as string[]).map((w) => w.replace('{}', String(i)));
      const t0 = process.hrtime.bigint();
      execFileSync('ipset', argv);
      out.push(Number(process.hrtime.bigint() - t0) / 1000);
    }
    return out;
  },
};

async function serve(variant: IptablesVariant, fail2banSocket: string | undefined): Promise<void> {
  const write = (o: unknown): void => { process.stdout.write(`${JSON.stringify(o)}\n`); };
  const driver = await IpsetDriver.open({
    clock: systemClock,
    variant,
    ...(fail2banSocket ? { fail2banSocket } : {}),
    onWarning: (warning) => write({ warning }),
  });
  for await (const line of createInterface({ input: process.stdin })) {
    const { id, cmd, args } = JSON.parse(line) as { id: number; cmd: string; args: Record<string, unknown> };
    try {
      const handler = HANDLERS[cmd];
      if (!handler) throw new Error(`unknown command ${cmd}`);
      write({ id, ok: true, result: (await handler(driver, args)) ?? null });
      if (cmd === 'close') return;
    } catch (e) {
      const err = e as Error;
      write({ id, ok: false, error: { name: err.name, code: e instanceof F2bError ? e.code : undefined, message: err.message } });
    }
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  serve(process.argv[2] as IptablesVariant, process.argv[3]).catch((e: unknown) => {
    process.stderr.write(`ipset agent: ${(e as Error).stack ?? String(e)}\n`);
    process.exitCode = 1;
  });
}
