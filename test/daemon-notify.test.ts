import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { CLI_ENTRY } from '../src/core/paths.js';
import { DaemonHarness, jailSection } from './support/daemon-harness.js';
import { hostFirewallSnapshot, waitFor } from './support/netns.js';

const hostBefore = hostFirewallSnapshot();
after(() => assert.equal(hostFirewallSnapshot(), hostBefore, 'the host firewall is untouched'));

test('systemd notify: READY=1 with a STATUS line after the first reconcile, WATCHDOG=1 pings, STOPPING=1 on SIGTERM', async () => {
  const h = new DaemonHarness('notify', '');
  const notifySocket = h.path('notify.sock');
  const received = h.path('notify.out');
  // A datagram listener standing in for systemd, printing each message on its own line.
  const listener = spawn('socat', ['-u', `UNIX-RECVFROM:${notifySocket},fork`, `SYSTEM:cat >> ${received}; echo >> ${received}`], { stdio: 'ignore' });
  try {
    h.touch(h.path('a.log'));
    h.config.write('jail.local', jailSection('sshd', h.path('a.log')));
    assert.ok(await waitFor(() => spawnSync('test', ['-S', notifySocket]).status === 0, 3000));
    process.env.NOTIFY_SOCKET = notifySocket;
    process.env.WATCHDOG_USEC = '400000';
    await h.start();
    delete process.env.NOTIFY_SOCKET;
    delete process.env.WATCHDOG_USEC;
    const read = (): string => { try { return readFileSync(received, 'utf8'); } catch { return ''; } };
    assert.ok(await waitFor(() => /READY=1\nSTATUS=1 jail\(s\), 0 ban\(s\) in force/.test(read()), 3000), read());
    assert.ok(await waitFor(() => (read().match(/WATCHDOG=1/g) ?? []).length >= 2, 3000), 'watchdog pings every WATCHDOG_USEC/2');
    assert.equal(await h.signal('SIGTERM'), 0);
    assert.ok(await waitFor(() => /STOPPING=1/.test(read()), 2000));
  } finally {
    listener.kill();
    delete process.env.NOTIFY_SOCKET;
    delete process.env.WATCHDOG_USEC;
    await h.destroy();
  }
});

test('check-config accepts a good config and names file, section and key of a bad one (exit 3)', () => {
  const h = new DaemonHarness('check', '');
  try {
    h.config.write('jail.local', jailSection('sshd', h.path('a.log')));
    const ok = spawnSync('node', [CLI_ENTRY, 'check-config', '--config-dir', h.config.dir], { encoding: 'utf8' });
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /configuration OK.*\n1 enabled jail\(s\): sshd/);
    h.config.write('jail.local', jailSection('sshd', h.path('a.log'), { maxretry: 'many' }));
    const bad = spawnSync('node', [CLI_ENTRY, 'check-config', '--config-dir', h.config.dir], { encoding: 'utf8' });
    assert.equal(bad.status, 3);
    assert.match(bad.stderr, /jail\.local:\d+ \[sshd\] maxretry = "many"/);
  } finally {
    h.ns.destroy();
    h.config.remove();
  }
});
