/** HTTP GET over a unix socket (the daemon's metrics endpoint). */
import { get } from 'node:http';

/** Fetches `path` from the HTTP server on `socketPath`. */
export function fetchUnix(socketPath: string, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    get({ socketPath, path }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => { body += c; }).on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}
