/** A throwaway test CA and a server certificate signed by it, made with openssl in `dir` (ca.pem, srv.pem, srv.key). */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Writes ca.pem (trust it through CURL_CA_BUNDLE / NODE_EXTRA_CA_CERTS) and srv.pem/srv.key for `host` into `dir`. */
export function makeCerts(dir: string, host = 'api.abuseipdb.com'): void {
  const ossl = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  ossl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=f2b-fw test CA']);
  ossl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'srv.key', '-out', 'srv.csr', '-subj', `/CN=${host}`]);
  writeFileSync(join(dir, 'san.ext'), `subjectAltName=DNS:${host}\n`);
  ossl(['x509', '-req', '-in', 'srv.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'srv.pem', '-days', '2', '-extfile', 'san.ext']);
}
