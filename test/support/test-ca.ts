/** A throw-away test CA and one server certificate signed by it (openssl), for TLS peers in tests. */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The PEM files written into a directory. */
export interface TestCerts { readonly ca: string; readonly cert: string; readonly key: string }

/** Writes ca.pem, srv.pem and srv.key into `dir`; the certificate names `dns` and `ips` as subjectAltName. */
export function makeTestCerts(dir: string, dns: readonly string[], ips: readonly string[] = []): TestCerts {
  const ossl = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  ossl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=f2b-fw test CA']);
  ossl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'srv.key', '-out', 'srv.csr', '-subj', `/CN=${dns[0] ?? 'localhost'}`]);
  writeFileSync(join(dir, 'san.ext'), `subjectAltName=${[...dns.map((d) => `DNS:${d}`), ...ips.map((i) => `IP:${i}`)].join(',')}\n`);
  ossl(['x509', '-req', '-in', 'srv.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'srv.pem', '-days', '2', '-extfile', 'san.ext']);
  return { ca: join(dir, 'ca.pem'), cert: join(dir, 'srv.pem'), key: join(dir, 'srv.key') };
}
