/**
 * The fleet over TLS: redis-server with a tls-port and a test CA (openssl), two daemons with
 * `url = rediss://…` and `tls_ca`; a ban on A reaches B's kernel through the encrypted link.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DaemonHarness, jailSection } from './support/daemon-harness.js';
import { hostFirewallSnapshot, waitFor } from './support/netns.js';
import { LAB_PASSWORD, RedisNode, memberConf } from './support/fleet-lab.js';

const hostBefore = hostFirewallSnapshot();
const certs = mkdtempSync(join(tmpdir(), 'f2b-fw-tls-'));
const ossl = (args: string[]): void => { execFileSync('openssl', args, { cwd: certs, stdio: 'pipe' }); };
ossl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=f2b-fw test CA']);
ossl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'srv.key', '-out', 'srv.csr', '-subj', '/CN=192.0.2.1']);
writeFileSync(join(certs, 'san.ext'), 'subjectAltName=IP:192.0.2.1\n');
ossl(['x509', '-req', '-in', 'srv.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'srv.pem', '-days', '2', '-extfile', 'san.ext']);

const redis = new RedisNode(['tls-port 6380', `tls-cert-file ${join(certs, 'srv.pem')}`, `tls-key-file ${join(certs, 'srv.key')}`,
  `tls-ca-cert-file ${join(certs, 'ca.pem')}`, 'tls-auth-clients no']);
const members: DaemonHarness[] = [];

after(async () => {
  for (const h of members) await h.destroy();
  await redis.destroy();
  rmSync(certs, { recursive: true, force: true });
  assert.equal(hostFirewallSnapshot(), hostBefore, 'the host firewall is untouched');
});

test('rediss:// with tls_ca: a ban on A reaches B over TLS', async () => {
  for (const node of ['a', 'b']) {
    const h = new DaemonHarness(`ft${node}`, '');
    members.push(h);
    h.touch(h.path('auth.log'));
    h.config.write('jail.local', jailSection('sshd', h.path('auth.log')));
    h.config.write('f2b-fw.conf', memberConf(node, { url: `rediss://f2b:${LAB_PASSWORD}@192.0.2.1:6380`, tls_ca: join(certs, 'ca.pem') }));
    redis.attach(h);
  }
  const [A, B] = members as [DaemonHarness, DaemonHarness];
  await redis.start();
  await Promise.all([A.start(), B.start()]);
  assert.ok(A.logs.some((l) => l.event === 'fleet' && /connected to rediss:\/\/f2b:\*\*\*@192\.0\.2\.1:6380 as a/.test(l.msg)), 'A connected over TLS');
  A.append(A.path('auth.log'), ['FAIL login from 203.0.113.44']);
  assert.ok(await waitFor(() => B.logs.some((l) => l.msg === '[sshd] Ban 203.0.113.44 (fleet: a)'), 15_000, 20));
  assert.ok(B.elements('sshd').some((e) => e.addr === '203.0.113.44'));
});
