/**
 * Runs the NftDriver inside a network namespace for tests and benchmarks.
 * As a script (`ip netns exec NS node nft-agent.js`) it serves newline-
 * delimited JSON requests on stdin; `NftAgent.start(ns)` is the client side,
 * so the test process itself never writes to the host's firewall.
 */
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { ChildProcess } from 'node:child_process';
import type { Netns } from './netns.js';
import type { Ban } from '../../src/core/records.js';
import type { BanKey, ReconcileOptions } from '../../src/fw/driver.js';
import type { FirewallLayout } from '../../src/fw/layout.js';
import type { Plan } from '../../src/fw/plan.js';

/** Requests the agent understands. */
type Request =
  | { op: 'reconcile'; layout: FirewallLayout; bans: Ban[]; options?: ReconcileOptions }
  | { op: 'ban'; bans: Ban[] }
  | { op: 'unban'; keys: BanKey[] }
  | { op: 'unbanAll'; jail: string }
  | { op: 'list'; jail?: string }
  | { op: 'time'; request: Request; repeat: number };

/** An error the agent reported, with the original class name and code. */
export class AgentError extends Error {
  constructor(readonly errorName: string, readonly code: string | undefined, message: string) {
    super(message);
  }
}

/** Client for an agent process in a namespace. */
export class NftAgent {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();

  private constructor(private readonly child: ChildProcess) {
    const rl = createInterface({ input: child.stdout! });
    rl.on('line', (line) => {
      const msg = JSON.parse(line) as { id: number; ok: boolean; result?: unknown; error?: { name: string; code?: string; message: string } };
      const p = this.pending.get(msg.id);
      this.pending.delete(msg.id);
      if (!p) return;
      if (msg.ok) p.resolve(msg.result);
      else p.reject(new AgentError(msg.error!.name, msg.error!.code, msg.error!.message));
    });
    child.on('exit', () => {
      for (const p of this.pending.values()) p.reject(new Error('nft agent exited'));
      this.pending.clear();
    });
  }

  /**
   * Starts an agent inside `ns`. `refresh` forces how re-bans refresh
   * timeouts (`add`, or `delete+add` as on kernels before timeout updates);
   * by default the driver probes the kernel.
   */
  static start(ns: Netns, refresh?: 'add' | 'delete+add'): NftAgent {
    const args = [fileURLToPath(import.meta.url), ...(refresh ? [refresh] : [])];
    const child = ns.spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'inherit'] });
    return new NftAgent(child);
  }

  private call<T>(req: Request): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.child.stdin!.write(`${JSON.stringify({ id, ...req })}\n`);
    });
  }

  /** NftDriver.reconcile in the namespace. */
  reconcile(layout: FirewallLayout, bans: Ban[] = [], options: ReconcileOptions = {}): Promise<Plan> {
    return this.call({ op: 'reconcile', layout, bans, options });
  }
  /** NftDriver.ban. */
  ban(bans: Ban[]): Promise<void> { return this.call({ op: 'ban', bans }); }
  /** NftDriver.unban. */
  unban(keys: BanKey[]): Promise<void> { return this.call({ op: 'unban', keys }); }
  /** NftDriver.unbanAll. */
  unbanAll(jail: string): Promise<void> { return this.call({ op: 'unbanAll', jail }); }
  /** NftDriver.list. */
  list(jail?: string): Promise<Ban[]> { return this.call(jail === undefined ? { op: 'list' } : { op: 'list', jail }); }
  /** Runs `request` `repeat` times inside the agent and returns each duration in µs. */
  time(request: Request, repeat: number): Promise<number[]> { return this.call({ op: 'time', request, repeat }); }

  /** Ends the agent (its netlink sockets close on exit). */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.stdin!.end();
    await exited;
  }
}

async function serve(): Promise<void> {
  const { NftConn } = await import('../../native/nftables/batch.js');
  const { NftDriver } = await import('../../src/fw/nft/driver.js');
  const { systemClock } = await import('../../src/core/clock.js');
  const refresh = process.argv[2];
  const driver = new NftDriver(new NftConn(), systemClock, refresh === undefined ? {} : { refreshByAdd: refresh === 'add' });
  const run = async (req: Request): Promise<unknown> => {
    switch (req.op) {
      case 'reconcile': return driver.reconcile(req.layout, req.bans, req.options);
      case 'ban': return driver.ban(req.bans);
      case 'unban': return driver.unban(req.keys);
      case 'unbanAll': return driver.unbanAll(req.jail);
      case 'list': return driver.list(req.jail);
      case 'time': {
        const times: number[] = [];
        for (let i = 0; i < req.repeat; i++) {
          const t0 = process.hrtime.bigint();
          await run(req.request);
          times.push(Number(process.hrtime.bigint() - t0) / 1000);
        }
        return times;
      }
    }
  };
  const rl = createInterface({ input: process.stdin });
  for await (const line of rl) {
    const req = JSON.parse(line) as Request & { id: number };
    try {
      const result = await run(req);
      process.stdout.write(`${JSON.stringify({ id: req.id, ok: true, result: result ?? null })}\n`);
    } catch (e) {
      const err = e as Error & { code?: string };
      process.stdout.write(`${JSON.stringify({ id: req.id, ok: false, error: { name: err.name, code: err.code, message: err.message } })}\n`);
    }
  }
  await driver.close();
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await serve();
