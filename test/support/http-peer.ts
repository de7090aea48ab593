/** The HTTP(S) peer of the action tests (test/support/http-receiver.ts) run inside a test namespace. */
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import type { ChildProcess } from 'node:child_process';
import { waitFor, type Netns } from './netns.js';
import { eachLine } from './lines.js';

const RECEIVER = fileURLToPath(new URL('./http-receiver.js', import.meta.url));

/** One request the peer got. */
export interface Received { method: string; url: string; headers: Record<string, string>; body: string; status: number }

/** The peer process and the requests it got, in order. */
export class Receiver {
  readonly got: Received[] = [];
  private constructor(private readonly child: ChildProcess) {}

  /** Starts the peer on `port` inside `ns` and waits until it listens. */
  static async start(ns: Netns, port: number, args: readonly string[] = []): Promise<Receiver> {
    const child = ns.spawn('node', [RECEIVER, '--port', String(port), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    const r = new Receiver(child);
    let listening = false;
    eachLine(child.stdout!, (line) => {
      if (line.startsWith('listening')) listening = true;
      else r.got.push(JSON.parse(line) as Received);
    });
    assert.ok(await waitFor(() => listening, 10_000), 'receiver listening');
    return r;
  }

  /** Kills the peer. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const done = new Promise((res) => this.child.once('exit', res));
    this.child.kill('SIGKILL');
    await done;
  }
}

