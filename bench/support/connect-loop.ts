/**
 * The packet-path load, run inside the lab namespaces with `ip netns exec`:
 * - `node connect-loop.js listen PORT`: accepts on [::]:PORT and closes each
 *   connection at once; prints `listening` when ready.
 * - `node connect-loop.js connect HOST PORT N`: opens N TCP connections one
 *   after the other (each waits for the handshake, then resets the socket) and
 *   prints `{"connections":N,"ms":…,"failed":…}`.
 * Sequential on purpose: the rate then reflects each packet's walk through the
 * router's rules, not the machine's parallelism.
 */
import { createConnection, createServer } from 'node:net';
import { pathToFileURL } from 'node:url';

/** What `connect` prints. */
export interface LoopResult {
  readonly connections: number;
  readonly ms: number;
  readonly failed: number;
}

function listen(port: number): void {
  const server = createServer((s) => s.destroy());
  server.listen({ host: '::', port, ipv6Only: true }, () => process.stdout.write('listening\n'));
}

function connectOnce(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ host, port, timeout: 2000 });
    s.once('connect', () => { s.resetAndDestroy(); resolve(true); });
    s.once('timeout', () => { s.destroy(); resolve(false); });
    s.once('error', () => resolve(false));
  });
}

async function connectLoop(host: string, port: number, n: number): Promise<LoopResult> {
  let failed = 0;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) if (!(await connectOnce(host, port))) failed++;
  return { connections: n, ms: performance.now() - t0, failed };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [mode, ...rest] = process.argv.slice(2);
  if (mode === 'listen') listen(Number(rest[0]));
  else if (mode === 'connect') {
    const r = await connectLoop(rest[0]!, Number(rest[1]), Number(rest[2]));
    process.stdout.write(`${JSON.stringify(r)}\n`);
  } else {
    process.stderr.write('usage: connect-loop.js listen PORT | connect HOST PORT N\n');
    process.exit(2);
  }
}
