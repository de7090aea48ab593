/**
 * A real HTTP(S) peer for the action tests, run as its own process (inside a test namespace):
 * answers each request with the next status of `--statuses` (the last repeats), after `--delay`
 * ms, and prints one JSON line per request (method, url, headers, body) on stdout after
 * `listening PORT`. Usage: node http-receiver.js --port N [--cert F --key F] [--delay MS] [--statuses 503,200]
 * [--responses JSON]: a list of `{status, headers?, body?}` answered in turn instead (the last
 * repeats); a header value `now+N` becomes the epoch second N seconds from the answer.
 */
import { createServer as http, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as https } from 'node:https';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: {
  port: { type: 'string' }, cert: { type: 'string' }, key: { type: 'string' }, delay: { type: 'string' }, statuses: { type: 'string' }, host: { type: 'string' },
  responses: { type: 'string' },
} });
interface Answer { status: number; headers?: Record<string, string>; body?: string }
const statuses = (values.statuses ?? '200').split(',').map(Number);
const scripted = values.responses ? JSON.parse(values.responses) as Answer[] : null;

/** The n-th answer: scripted, or the status list's with its stock headers and body. */
function answer(i: number): Answer {
  if (scripted) {
    const a = scripted[Math.min(i, scripted.length - 1)]!;
    const headers = Object.fromEntries(Object.entries(a.headers ?? {}).map(([k, v]) => {
      const rel = /^now\+(\d+)$/.exec(v);
      return [k, rel ? String(Math.floor(Date.now() / 1000) + Number(rel[1])) : v];
    }));
    return { status: a.status, headers: { 'content-type': 'application/json', ...headers }, body: a.body ?? '' };
  }
  const status = statuses[Math.min(i, statuses.length - 1)]!;
  return {
    status, headers: { 'content-type': 'application/json', ...(status === 429 ? { 'retry-after': '1' } : {}) },
    body: status === 200 ? '{"data":{"abuseConfidenceScore":100}}' : '{"errors":[{"detail":"try later"}]}',
  };
}
let n = 0;
const handle = (req: IncomingMessage, res: ServerResponse): void => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const a = answer(n++);
    process.stdout.write(`${JSON.stringify({ method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), status: a.status })}\n`);
    setTimeout(() => {
      res.writeHead(a.status, a.headers);
      res.end(a.body);
    }, Number(values.delay ?? 0));
  });
};
const server = values.cert ? https({ cert: readFileSync(values.cert), key: readFileSync(values.key!) }, handle) : http(handle);
server.listen(Number(values.port ?? 0), values.host ?? '127.0.0.1', () => {
  process.stdout.write(`listening ${(server.address() as { port: number }).port}\n`);
});
