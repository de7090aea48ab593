/**
 * Environment errors: no CAP_NET_ADMIN names the capability (checked for real: the CLI runs in a
 * namespace with the capability dropped by setpriv); socket errnos
 * are classified by number.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasNetAdmin } from '../native/env.js';
import { CLI_ENTRY } from '../src/core/paths.js';
import { Netns, hostFirewallSnapshot } from './support/netns.js';

const hostBefore = hostFirewallSnapshot();
after(() => assert.equal(hostFirewallSnapshot(), hostBefore, 'host firewall untouched'));

test('CAP_NET_ADMIN is read from the effective capability set', () => {
  assert.equal(hasNetAdmin('CapEff:\t0000000000001000\n'), true);
  assert.equal(hasNetAdmin('CapEff:\t0000000000000000\n'), false);
});

test('f2b-fw reconcile without CAP_NET_ADMIN says which capability is missing and changes nothing', () => {
  const ns = Netns.create('nocap');
  const dir = mkdtempSync(join(tmpdir(), 'f2b-env-'));
  try {
    writeFileSync(join(dir, 'jail.conf'), '[sshd]\nenabled = true\nport = ssh\n');
    let status = 0;
    let stderr = '';
    try {
      execFileSync('ip', ['netns', 'exec', ns.name, 'setpriv', '--inh-caps=-net_admin', '--bounding-set=-net_admin',
        process.execPath, CLI_ENTRY, 'reconcile', '--config-dir', dir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (e) {
      ({ status, stderr } = e as { status: number; stderr: string });
    }
    assert.equal(status, 5, stderr);
    assert.match(stderr, /CAP_NET_ADMIN/);
    assert.equal(ns.run('nft', ['list', 'ruleset']), '');
  } finally {
    ns.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('socket errnos are classified by number: EPERM and missing protocol support are environment errors, others kernel errors with call and errno', async () => {
  const { environmentErrorForErrno } = await import('../native/env.js');
  const { socketError, SocketError } = await import('../native/netlink/fd.js');
  assert.match(environmentErrorForErrno(1, 'send: Operation not permitted')!.message, /CAP_NET_ADMIN/);
  assert.match(environmentErrorForErrno(93, 'socket(AF_NETLINK)')!.message, /nf_tables/);
  assert.equal(environmentErrorForErrno(105, 'recv'), undefined);
  const e = socketError('recv', 105, 'reading netlink answers failed');
  assert.ok(e instanceof SocketError);
  assert.equal((e as InstanceType<typeof SocketError>).errno, 105);
  assert.equal((e as InstanceType<typeof SocketError>).call, 'recv');
  assert.match(e.message, /reading netlink answers failed: No buffer space available/);
});
