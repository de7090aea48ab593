import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { CLI_ENTRY } from '../src/core/paths.js';
import { DaemonHarness, jailSection } from './support/daemon-harness.js';
import { makeFail2banDb } from './support/fail2ban-db.js';
import { hostFirewallSnapshot, waitFor } from './support/netns.js';

const hostBefore = hostFirewallSnapshot();
after(() => assert.equal(hostFirewallSnapshot(), hostBefore, 'the host firewall is untouched'));

test('import-fail2ban-db: bans in force reach the store with no daemon, the kernel at start, and a running daemon at once', async () => {
  const h = new DaemonHarness('import', '');
  try {
    const logfile = h.path('a.log');
    h.touch(logfile);
    h.config.write('jail.local', jailSection('sshd', logfile));
    const now = Math.floor(Date.now() / 1000);
    const f2bdb = h.path('fail2ban.sqlite3');
    makeFail2banDb(f2bdb, now, [
      { jail: 'sshd', ip: '192.0.2.10', ago: 600, bantime: 3600, bancount: 2 },
      { jail: 'sshd', ip: '192.0.2.11', ago: 7200, bantime: 3600, bancount: 1 },
      { jail: 'sshd', ip: '2001:db8::7', ago: 60, bantime: -1, bancount: 3 },
    ]);
    const args = ['import-fail2ban-db', f2bdb, '--config-dir', h.config.dir, '--db', h.db, '--socket', h.socket];
    const first = spawnSync('node', [CLI_ENTRY, ...args, '--json'], { encoding: 'utf8' });
    assert.equal(first.status, 0, first.stderr);
    const summary = JSON.parse(first.stdout) as { inForce: number; imported: number; daemon: string };
    assert.deepEqual([summary.inForce, summary.imported, summary.daemon], [2, 2, 'not running']);

    await h.start();
    const v4 = h.elements('sshd');
    assert.deepEqual(v4.map((e) => e.addr), ['192.0.2.10']);
    assert.ok(v4[0]!.expires! > 2900 && v4[0]!.expires! <= 3000, `remaining ${v4[0]!.expires}s of fail2ban's hour`);
    const v6 = h.elements('sshd', 'v6');
    assert.deepEqual(v6.map((e) => [e.addr, e.expires]), [['2001:db8::7', null]], 'a permanent ban stays permanent');
    const banned = await h.cliJson<{ addr: string; banCount: number }[]>(['banned', '2001:db8::7']);
    assert.equal(banned[0]!.banCount, 3, 'ban count carried over for bantime.increment');

    // With a daemon running, a second import of a newer fail2ban database is applied at once.
    const later = h.path('fail2ban-2.sqlite3');
    makeFail2banDb(later, now, [{ jail: 'sshd', ip: '198.51.100.77', ago: 5, bantime: 600, bancount: 1 }]);
    const second = spawnSync('node', [CLI_ENTRY, 'import-fail2ban-db', later, '--config-dir', h.config.dir, '--db', h.db, '--socket', h.socket], { encoding: 'utf8' });
    assert.equal(second.status, 0, second.stderr);
    assert.match(second.stdout, /the running daemon applied them/);
    assert.ok(await waitFor(() => h.elements('sshd').some((e) => e.addr === '198.51.100.77'), 2000));
  } finally {
    await h.destroy();
  }
});
