import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { DaemonHarness, jailSection } from './support/daemon-harness.js';
import { Netns, canConnect, hostFirewallSnapshot, link, listen, waitFor } from './support/netns.js';
import { CLI_ENTRY } from '../src/core/paths.js';

const hostBefore = hostFirewallSnapshot();
after(() => assert.equal(hostFirewallSnapshot(), hostBefore, 'the host firewall is untouched'));

/** A daemon with jail sshd on port 2222 that has banned the attacker 198.51.100.9 (checked with a real connection). */
async function bannedAttacker(label: string, h: DaemonHarness, attacker: Netns): Promise<void> {
  link(h.ns, 'eth0', ['198.51.100.1/24'], attacker, 'eth0', ['198.51.100.9/24']);
  listen(h.ns, 2222);
  const log = h.path(`${label}.log`);
  h.touch(log);
  h.config.write('jail.local', jailSection('sshd', log, { bantime: '1h' }));
  await h.start();
  assert.ok(await waitFor(() => canConnect(attacker, '198.51.100.1', 2222), 5000), 'the service answers before the ban');
  h.append(log, ['FAIL login from 198.51.100.9']);
  assert.ok(await waitFor(() => h.elements('sshd').some((e) => e.addr === '198.51.100.9'), 5000));
  assert.equal(canConnect(attacker, '198.51.100.1', 2222), false, 'banned');
}

const ROGUE = ['insert', 'rule', 'inet', 'f2b-fw', 'input', 'ip', 'saddr', '198.51.100.0/24', 'accept'];

test('a rogue accept inserted into our chain is removed by self-healing and listed by reconcile --dry-run; a deleted marker does not stop self-healing', async () => {
  const h = new DaemonHarness('rogue', '');
  const attacker = Netns.create('rogue-a');
  try {
    await bannedAttacker('a', h, attacker);

    const heal = async (what: string[]): Promise<string> => {
      const repairs = h.events('repair').length;
      h.ns.run('nft', what);
      assert.ok(await waitFor(() => h.events('repair').length > repairs, 5000, 10), `repaired after nft ${what.join(' ')}`);
      return h.events('repair').at(-1)!.msg;
    };
    const msg = await heal(ROGUE);
    assert.match(msg, /delete\s+rule inet f2b-fw input handle \d+ \(not put there by f2b-fw/);
    assert.doesNotMatch(h.ns.run('nft', ['list', 'chain', 'inet', 'f2b-fw', 'input']), /198\.51\.100\.0\/24 accept/);
    assert.equal(canConnect(attacker, '198.51.100.1', 2222), false, 'the ban holds again');

    // The marker counter deleted: put back, and self-healing goes on.
    assert.match(await heal(['delete', 'counter', 'inet', 'f2b-fw', 'managed-by-f2b-fw']), /ownership marker was deleted/);
    assert.match(h.ns.run('nft', ['list', 'counters', 'table', 'inet', 'f2b-fw']), /managed-by-f2b-fw/);
    assert.match(await heal(ROGUE), /not put there by f2b-fw/);
    assert.equal(canConnect(attacker, '198.51.100.1', 2222), false);

    // Without a daemon, reconcile --dry-run lists the rogue rule and changes nothing.
    assert.equal(await h.signal('SIGTERM'), 0);
    h.ns.run('nft', ROGUE);
    assert.equal(canConnect(attacker, '198.51.100.1', 2222), true, 'the rogue rule bypasses the ban');
    const dry = h.ns.run('node', [CLI_ENTRY, 'reconcile', '--dry-run', '--config-dir', h.config.dir, '--db', h.db, '--socket', h.socket]);
    assert.match(dry, /delete\s+rule inet f2b-fw input handle \d+ \(not put there by f2b-fw/);
    assert.match(h.ns.run('nft', ['list', 'chain', 'inet', 'f2b-fw', 'input']), /198\.51\.100\.0\/24 accept/, 'a dry run changes nothing');
  } finally {
    attacker.destroy();
    await h.destroy();
  }
});

/*
 * Issue 10.12's gap: a rule that keeps our comment but whose body was
 * replaced (`nft replace rule … handle N ip saddr @sshd-v4 accept comment
 * "f2b-fw …"`) lets a banned attacker through. Reconcile and self-healing
 * compare the decoded body with the one we build and replace it;
 * `reconcile --dry-run` lists it. Real packets: the attacker gets through
 * while the replaced rule stands, not after.
 */
const REPLACED = /delete\s+rule inet f2b-fw input handle \d+ "f2b-fw sshd input [0-9a-f]+" \(its body was changed by someone else/;

test('a rule with our comment whose body was replaced by an accept is found by its body and rebuilt, by self-healing and by reconcile; --dry-run lists it', async () => {
  const h = new DaemonHarness('replaced', '');
  const attacker = Netns.create('replaced-a');
  try {
    await bannedAttacker('a', h, attacker);

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
