import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { DaemonHarness, jailSection } from './support/daemon-harness.js';
import { hostFirewallSnapshot, waitFor } from './support/netns.js';

const hostBefore = hostFirewallSnapshot();
after(() => assert.equal(hostFirewallSnapshot(), hostBefore, 'the host firewall is untouched'));

test('recidive reads the daemon\'s own JSON log file: an address banned twice is banned on every port for longer', async () => {
  const h = new DaemonHarness('recid', '');
  try {
    const ownLog = h.path('f2b-fw.log');
    h.touch(ownLog);
    h.touch(h.path('a.log'));
    h.config.write('jail.local', jailSection('sshd', h.path('a.log'), { port: '22' })
      + jailSection('recidive', ownLog, { filter: 'recidive', maxretry: '2', findtime: '1d', bantime: '1w' }));
    await h.start(['--logtarget', ownLog]);
    h.append(h.path('a.log'), ['FAIL login from 198.51.100.66']);
    assert.ok(await waitFor(() => h.elements('sshd').length === 1, 5000));
    assert.equal((await h.cli(['unban', 'sshd', '198.51.100.66'])).status, 0);
    h.append(h.path('a.log'), ['FAIL login from 198.51.100.66']);
    assert.ok(await waitFor(() => h.elements('recidive').some((e) => e.addr === '198.51.100.66'), 5000), 'recidive bans the repeat offender');
    const rec = h.elements('recidive')[0]!;
    assert.ok(rec.expires! > 6 * 86400, 'for a week');
    assert.ok(await waitFor(() => h.logs.some((l) => l.msg === '[recidive] Ban 198.51.100.66'), 2000));
  } finally {
    await h.destroy();
  }
});
