import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { CLI_ENTRY } from '../src/core/paths.js';
import { DaemonHarness, jailSection } from './support/daemon-harness.js';
import { hostFirewallSnapshot, waitFor } from './support/netns.js';

const hostBefore = hostFirewallSnapshot();
after(() => assert.equal(hostFirewallSnapshot(), hostBefore, 'the host firewall is untouched'));

test('on_stop = flush empties the kernel on SIGTERM, the store keeps the bans for the next start; one instance per pid file', async () => {
  const h = new DaemonHarness('stop', '', { 'f2b-fw.conf': '[Definition]\non_stop = flush\n' });
  try {
    const logfile = h.path('a.log');
    h.touch(logfile);
    h.config.write('jail.local', jailSection('sshd', logfile, { bantime: '1h' }));
    await h.start();
    assert.ok(existsSync(h.pidfile));
    h.append(logfile, ['FAIL login from 203.0.113.77']);
    assert.ok(await waitFor(() => h.elements('sshd').length === 1, 5000));

    // A second daemon on the same pid file is refused with a clear message.
    const second = new DaemonHarness('stop2', '');
    try {
      const child = second.ns.spawn('node', [CLI_ENTRY, 'run', '--config-dir', h.config.dir,
        '--db', second.path('db.sqlite3'), '--socket', second.path('s.sock'), '--pidfile', h.pidfile, '--logtarget', 'STDOUT'], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr!.setEncoding('utf8').on('data', (c: string) => { stderr += c; });
      const code = await new Promise<number | null>((r) => child.on('exit', r));
      assert.equal(code, 5);
      assert.match(stderr, /another f2b-fw \(pid \d+\) runs with pid file/);
    } finally {
      await second.destroy();
    }

    assert.equal(await h.signal('SIGTERM'), 0);
    assert.deepEqual(h.elements('sshd'), [], 'flushed on stop');
    assert.ok(!existsSync(h.pidfile), 'pid file removed');
    assert.ok(!existsSync(h.socket), 'control socket removed');
    await h.start();
    assert.deepEqual(h.elements('sshd').map((e) => e.addr), ['203.0.113.77'], 'restored from the store at the next start');
    // `f2b-fw stop` gets its answer, then the daemon exits cleanly.
    const exited = new Promise<number | null>((r) => h.child!.once('exit', (code) => r(code)));
    const stop = await h.cli(['stop']);
    assert.equal(stop.status, 0, stop.stderr);
    assert.equal(await exited, 0);
    assert.equal((await h.cli(['ping'])).status, 6, 'no daemon answers afterwards');
  } finally {
    await h.destroy();
  }
});
