/**
 * Issue 10.12's gap: a rule that keeps our comment but whose body was
 * replaced (`nft replace rule … handle N ip saddr @sshd-v4 accept comment
 * "f2b-fw …"`) lets a banned attacker through. Reconcile and self-healing
 * compare the decoded body with the one we build and replace it;
 * `reconcile --dry-run` lists it. Real packets: the attacker gets through
 * while the replaced rule stands, not after.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { DaemonHarness, jailSection } from './support/daemon-harness.js';
import { Netns, canConnect, hostFirewallSnapshot, link, listen, waitFor } from './support/netns.js';
import { CLI_ENTRY } from '../src/core/paths.js';

const hostBefore = hostFirewallSnapshot();
after(() => assert.equal(hostFirewallSnapshot(), hostBefore, 'the host firewall is untouched'));

const REPLACED = /delete\s+rule inet f2b-fw input handle \d+ "f2b-fw sshd input [0-9a-f]+" \(its body was changed by someone else/;

test('a rule with our comment whose body was replaced by an accept is found by its body and rebuilt, by self-healing and by reconcile; --dry-run lists it', async () => {
  const h = new DaemonHarness('replaced', '');
  const attacker = Netns.create('replaced-a');
  try {
    link(h.ns, 'eth0', ['198.51.100.1/24'], attacker, 'eth0', ['198.51.100.9/24']);
    listen(h.ns, 2222);
    const log = h.path('a.log');
    h.touch(log);
    h.config.write('jail.local', jailSection('sshd', log, { bantime: '1h' }));
    await h.start();
    assert.ok(await waitFor(() => canConnect(attacker, '198.51.100.1', 2222), 5000), 'the service answers before the ban');
    h.append(log, ['FAIL login from 198.51.100.9']);
    assert.ok(await waitFor(() => h.elements('sshd').some((e) => e.addr === '198.51.100.9'), 5000));
    assert.equal(canConnect(attacker, '198.51.100.1', 2222), false, 'banned');

    /** Replaces our sshd-v4 rule in input by an accept that keeps its comment. */
    const replace = (): void => {
      const listing = h.ns.run('nft', ['-a', 'list', 'chain', 'inet', 'f2b-fw', 'input']);
      const m = /ip saddr @sshd-v4 \S.* comment "(f2b-fw sshd input [0-9a-f]+)" # handle (\d+)/.exec(listing);
      assert.ok(m, listing);
      h.ns.run('nft', ['replace', 'rule', 'inet', 'f2b-fw', 'input', 'handle', m[2]!, 'ip', 'saddr', '@sshd-v4', 'accept', 'comment', `"${m[1]!}"`]);
    };

    const repairs = h.events('repair').length;
    replace();
    assert.ok(await waitFor(() => h.events('repair').length > repairs, 5000, 10), 'self-healing ran');
    assert.match(h.events('repair').at(-1)!.msg, REPLACED);
    assert.doesNotMatch(h.ns.run('nft', ['list', 'chain', 'inet', 'f2b-fw', 'input']), /accept comment/);
    assert.equal(canConnect(attacker, '198.51.100.1', 2222), false, 'the ban holds again');

    // Without a daemon: the replaced rule lets the attacker in; --dry-run lists it and changes nothing; reconcile fixes it.
    assert.equal(await h.signal('SIGTERM'), 0);
    replace();
    assert.equal(canConnect(attacker, '198.51.100.1', 2222), true, 'the replaced rule lets the banned attacker through');
    const cli = ['--config-dir', h.config.dir, '--db', h.db, '--socket', h.socket];
    assert.match(h.ns.run('node', [CLI_ENTRY, 'reconcile', '--dry-run', ...cli]), REPLACED);
    assert.match(h.ns.run('nft', ['list', 'chain', 'inet', 'f2b-fw', 'input']), /ip saddr @sshd-v4 accept comment/, 'a dry run changes nothing');
    assert.equal(canConnect(attacker, '198.51.100.1', 2222), true);
    assert.match(h.ns.run('node', [CLI_ENTRY, 'reconcile', ...cli]), REPLACED);
    assert.equal(canConnect(attacker, '198.51.100.1', 2222), false, 'after reconcile the attacker is blocked again');
    assert.doesNotMatch(h.ns.run('nft', ['list', 'chain', 'inet', 'f2b-fw', 'input']), /accept comment/);
  } finally {
    attacker.destroy();
    await h.destroy();
  }
});
