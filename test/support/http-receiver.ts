/**
 * A real HTTP(S) peer for the action tests, run as its own process (inside a test namespace):
 * answers each request with the next status of `--statuses` (the last repeats), after `--delay`
 * ms, and prints one JSON line per request (method, url, headers, body) on stdout after
 * `listening PORT`. Usage: node http-receiver.js --port N [--cert F --key F] [--delay MS] [--statuses 503,200]
 */
import { createServer as http, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as https } from 'node:https';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: {
  port: { type: 'string' }, cert: { type: 'string' }, key: { type: 'string' }, delay: { type: 'string' }, statuses: { type: 'string' }, host: { type: 'string' },
} });
const statuses = (values.statuses ?? '200').split(',').map(Number);
let n = 0;
const handle = (req: IncomingMessage, res: ServerResponse): void => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const status = statuses[Math.min(n++, statuses.length - 1)]!;
    process.stdout.write(`${JSON.stringify({ method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), status })}\n`);
    setTimeout(() => {
      res.writeHead(status, { 'content-type': 'application/json', ...(status === 429 ? { 'retry-after': '1' } : {}) });
      res.end(status === 200 ? '{"data":{"abuseConfidenceScore":100}}' : '{"errors":[{"detail":"try later"}]}');
    }, Number(values.delay ?? 0));
  });
};
const server = values.cert ? https({ cert: readFileSync(values.cert), key: readFileSync(values.key!) }, handle) : http(handle);
server.listen(Number(values.port ?? 0), values.host ?? '127.0.0.1', () => {
  process.stdout.write(`listening ${(server.address() as { port: number }).port}\n`);
});
