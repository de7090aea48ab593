/**
 * The pipelining client of issue 10.5, measured: one connection writes 20,000
 * `banned` requests and never reads; the server (real ControlServer, answers
 * of ~100 KB each) must neither buffer the answers nor stall other clients.
 */
import { createConnection } from 'node:net';
import { ControlServer, type ControlHandler } from '../../src/control/server.js';
import { ControlClient } from '../../src/control/client.js';

/** What one flood run measured. */
export interface FloodFigures {
  /** Peak resident memory growth of the server process while flooded (MB). */
  readonly rssGrowthMb: number;
  /** Time until the server cut the non-reading client off (ms). */
  readonly cutOffMs: number;
  /** Median `ping` round trip on another connection during the flood (ms). */
  readonly pingMs: number;
}

/** Floods a server on `path` answering `banned` with `answer`; `idleMs` is the server's idle cut-off. */
export async function pipelineFlood(path: string, answer: unknown, requests: number, idleMs: number): Promise<FloodFigures> {
  const handler: ControlHandler = async (req) => (req.cmd === 'banned' ? answer : { pong: true, pid: process.pid, protocol: 1, version: 'bench' });
  const server = await ControlServer.listen({ path, handler, idleMs });
  try {
    const rssBefore = process.memoryUsage().rss;
    let peak = rssBefore;
    const sampler = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 20);
    const t0 = performance.now();
    const flooder = createConnection(path);
    flooder.on('error', () => undefined);
    const closed = new Promise<number>((r) => flooder.once('close', () => r(performance.now() - t0)));
    flooder.once('connect', () => {
      flooder.pause();
      flooder.write([...Array(requests).keys()].map((i) => `{"v":1,"id":${i + 1},"cmd":"banned"}\n`).join(''));
    });
    const client = await ControlClient.connect(path);
    const pings: number[] = [];
    for (let i = 0; i < 50; i++) {
      const p0 = performance.now();
      await client.request('ping');
      pings.push(performance.now() - p0);
    }
    client.close();
    const cutOffMs = await closed;
    clearInterval(sampler);
    pings.sort((a, b) => a - b);
    return { rssGrowthMb: (peak - rssBefore) / 1048576, cutOffMs, pingMs: pings[Math.floor(pings.length / 2)]! };
  } finally {
    await server.close();
  }
}
