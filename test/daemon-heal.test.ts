import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { DaemonHarness, jailSection } from './support/daemon-harness.js';
import { hostFirewallSnapshot, waitFor } from './support/netns.js';

const hostBefore = hostFirewallSnapshot();
after(() => assert.equal(hostFirewallSnapshot(), hostBefore, 'the host firewall is untouched'));

test('nft flush ruleset or a deleted table is repaired within a second, with a log line saying what was repaired', async () => {
  const h = new DaemonHarness('heal', '');
  try {
    const logfile = h.path('a.log');
    h.touch(logfile);
    h.config.write('jail.local', jailSection('sshd', logfile, { bantime: '1h' }));
    await h.start();
    h.append(logfile, ['FAIL login from 203.0.113.50', 'FAIL login from 2001:db8::50']);
    assert.ok(await waitFor(() => h.elements('sshd').length === 1 && h.elements('sshd', 'v6').length === 1, 5000));

    // A change to another table is not ours to repair: ruleset events come in order, so by the time the
    // repair of our deleted table is logged, the foreign change before it was seen and left alone.
    h.ns.run('nft', ['add', 'table', 'inet', 'someone-else']);
    for (const breakIt of [['delete', 'table', 'inet', 'f2b-fw'], ['flush', 'ruleset']]) {
      const repairs = h.events('repair').length;
      const t0 = Date.now();
      h.ns.run('nft', breakIt);
      // The daemon logs `repair` once the kernel committed the rebuilt table; its timestamp is what counts.
      assert.ok(await waitFor(() => h.events('repair').length > repairs, 5000, 10), `repaired after nft ${breakIt.join(' ')}`);
      const line = h.events('repair').at(-1)!;
      assert.ok((line.time as number) - t0 <= 1000, `repaired within 1 s of nft ${breakIt.join(' ')} (took ${(line.time as number) - t0} ms)`);
      assert.match(line.msg, /repaired the firewall \(foreign-change\).*(table|set|chain)/s);
      assert.ok(h.elements('sshd').some((e) => e.addr === '203.0.113.50'));
      assert.deepEqual(h.elements('sshd', 'v6').map((e) => e.addr), ['2001:db8::50']);
      assert.ok(h.elements('sshd')[0]!.expires! > 3500, 'the remaining time is restored, not reset to zero');
      if (breakIt[0] === 'delete') {
        assert.equal(h.events('repair').length, 1, 'one repair: the foreign table before it caused none');
        assert.doesNotMatch(line.msg, /someone-else/);
        assert.match(h.ns.run('nft', ['list', 'tables']), /inet someone-else/, 'the foreign table is left alone');
      }
    }
    // The rule that drops traffic is back too, not only the sets.
    const ruleset = h.ns.run('nft', ['list', 'table', 'inet', 'f2b-fw']);
    assert.match(ruleset, /@sshd-v4/);
  } finally {
    await h.destroy();
  }
});
