/**
 * Control socket: what a script calling `f2b-fw` pays. Round trip of one
 * request on an open connection, a `banned` answer listing 100,000 bans, and
 * the wall time of a whole `f2b-fw ping` process (Node start-up included).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchModule, BenchSection } from './types.js';
import { ControlServer, type ControlHandler } from '../src/control/server.js';
import { ControlClient } from '../src/control/client.js';
import { BUNDLE_ENTRY } from '../src/core/paths.js';
import type { BanRecord } from '../src/daemon/api.js';
import { pipelineFlood } from './support/pipeline-flood.js';
import { banFileRun } from './support/ban-file.js';

const FLOOD_REQUESTS = 20_000;
const FLOOD_IDLE_MS = 2000;

const ROUND_TRIPS = 5000;
const BANS = 100_000;
const CLI_RUNS = 10;
const BAN_FILE = 100_000;

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

function fakeBans(): BanRecord[] {
  const now = Date.now();
  return Array.from({ length: BANS }, (_, i) => ({
    jail: 'sshd',
    addr: i < 65536 ? `198.51.100.${i % 256}` : `2001:db8::${i.toString(16)}`,
    bannedAt: now,
    expiresAt: now + 600_000,
    banCount: 1,
    reason: 'maxretry reached',
    matches: [],
  }));
}

/** Runs `f2b-fw ping` as a process (asynchronously: the server answers from this process). */
function pingProcess(path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BUNDLE_ENTRY, 'ping', '--socket', path], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`f2b-fw ping exited ${code}: ${stderr}`))));
  });
}

async function timeMs(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

/** `npm run bench -- control` */
export const bench: BenchModule = {
  name: 'control',
  async run(): Promise<BenchSection> {
    const dir = mkdtempSync(join(tmpdir(), 'f2b-bench-control-'));
    const path = join(dir, 'f2b-fw.sock');
    const bans = fakeBans();
    const handler: ControlHandler = async (req) => (req.cmd === 'banned' ? bans : { pong: true, pid: process.pid, protocol: 1, version: 'bench' });
    const server = await ControlServer.listen({ path, handler });
    try {
      const client = await ControlClient.connect(path);
      const trips: number[] = [];
      for (let i = 0; i < ROUND_TRIPS; i++) trips.push(await timeMs(() => client.request('ping')));
      trips.sort((a, b) => a - b);
      const listing: number[] = [];
      for (let i = 0; i < 5; i++) listing.push(await timeMs(() => client.request('banned')));
      listing.sort((a, b) => a - b);
      client.close();
      const cli: number[] = [];
      for (let i = 0; i < CLI_RUNS; i++) cli.push(await timeMs(() => pingProcess(path)));
      cli.sort((a, b) => a - b);
      const flood = await pipelineFlood(join(dir, 'flood.sock'), bans.slice(0, 1000), FLOOD_REQUESTS, FLOOD_IDLE_MS);
      const bulk = await banFileRun(BAN_FILE);
      if (bulk.inKernel !== BAN_FILE) throw new Error(`ban --file: ${bulk.inKernel} of ${BAN_FILE} in the kernel`);
      return {
        title: 'Control socket and client',
        command: 'npm run bench -- control',
        figures: [
          { name: `request round trip on an open connection, median of ${ROUND_TRIPS}`, value: quantile(trips, 0.5) * 1000, unit: 'µs' },
          { name: `request round trip, p99`, value: quantile(trips, 0.99) * 1000, unit: 'µs' },
          { name: `\`banned\` answer with ${BANS.toLocaleString('en-US')} bans (serialise, send, parse), median of 5`, value: quantile(listing, 0.5), unit: 'ms' },
          { name: `\`f2b-fw ping\` as a process (Node start-up included), median of ${CLI_RUNS}`, value: quantile(cli, 0.5), unit: 'ms' },
          { name: `client pipelining ${FLOOD_REQUESTS.toLocaleString('en-US')} \`banned\` requests (1,000 bans each) without reading: server RSS growth`, value: flood.rssGrowthMb, unit: 'MB', target: 'bounded (2.6 GB before)' },
          { name: 'same: time until the server cuts the client off (idle time 2 s)', value: flood.cutOffMs, unit: 'ms' },
          { name: 'same: `ping` round trip on another connection during the flood, median of 50', value: flood.pingMs, unit: 'ms' },
          { name: `\`f2b-fw ban --file\` of ${BAN_FILE.toLocaleString('en-US')} addresses, client start → all in the kernel and the store`, value: Math.round(bulk.wallMs) / 1000, unit: 's', target: '≤ 1 s' },
          { name: 'same: CPU time the daemon spent (user + system)', value: Math.round(bulk.daemonCpuMs) / 1000, unit: 's' },
          { name: 'same: daemon RSS afterwards', value: bulk.rssMb, unit: 'MB' },
        ],
        notes: [
          'Server and client in one process over a unix socket; the handler answers from memory, so this is the protocol\'s cost, not the daemon\'s work.',
          'The flood: one connection writes every request at once and never reads; the server answers one at a time, waits for each answer to drain, and disconnects a client that does not read within its idle time (2 s here, 10 s in the daemon).',
          `\`ban --file\`: a real daemon (nftables) in a namespace, one jail; ${BAN_FILE.toLocaleString('en-US')} IPv6 addresses in a file, sent in chunks of 10,000 on one connection, each chunk one kernel transaction then one store transaction; timed from spawning the CLI to its exit (after the last chunk is answered), the kernel's set counted afterwards.`,
          'The process figure is the wall time from spawning `node dist/bundle/f2b-fw.cjs ping` to its exit; most of it is Node start-up and loading the CLI\'s modules.',
        ],
      };
    } finally {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
