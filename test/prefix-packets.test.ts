/**
 * Prefix bans with real packets: an attacker namespace holding many addresses
 * of one /64 tries in turn; after `escalate = 3 in 1h` none of them gets
 * through, an ignoreip address inside the /64 and a neighbour in another /64
 * still do; restart and a wiped kernel state keep the prefix ban. Both backends.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { DaemonHarness, jailSection } from './support/daemon-harness.js';
import { Netns, hostFirewallSnapshot, link, listen, waitFor } from './support/netns.js';

const hostBefore = hostFirewallSnapshot();
after(() => assert.equal(hostFirewallSnapshot(), hostBefore, 'the host firewall is untouched'));

const PORT = 2222;
const ATTACKERS = [...Array(8).keys()].map((i) => `2001:db8:7::${(0x10 + i).toString(16)}`);
const IGNORED = '2001:db8:7::53';
const NEIGHBOUR = '2001:db8:8::5';

/** Can `src` in `ns` open a TCP connection to the server's port? */
function reaches(ns: Netns, src: string): boolean {
  const dst = src.startsWith('2001:db8:8:') ? '2001:db8:8::1' : '2001:db8:7::1';
  return ns.try('nc', ['-z', '-w', '1', '-s', src, dst, String(PORT)]);
}

async function scenario(backend: 'nftables' | 'ipset'): Promise<void> {
  const h = new DaemonHarness(`pfx${backend[0]}`, '');
  const atk = Netns.create('pfxatk');
  try {
    link(h.ns, 'eth0', ['2001:db8:7::1/64', '2001:db8:8::1/64'], atk, 'eth0', [...ATTACKERS, IGNORED, NEIGHBOUR].map((a) => `${a}/64`));
    listen(h.ns, PORT, true);
    const log = h.path('svc.log');
    h.touch(log);
    h.config.write('jail.local', jailSection('sshd', log, {
      port: String(PORT), maxretry: '1', bantime: '1h', escalate: '3 in 1h', escalate_prefix: '64', ignoreip: IGNORED,
    }));
    const args = backend === 'ipset' ? ['--backend', 'ipset'] : [];
    await h.start(args);
    assert.ok(await waitFor(() => reaches(atk, ATTACKERS[0]!), 5000), 'the service answers before any ban');

    // The attacker rotates addresses: each new one fails once and is banned alone, until the third.
    for (const a of ATTACKERS.slice(0, 3)) {
      assert.ok(reaches(atk, a), `${a} gets through before its ban`);
      h.append(log, [`FAIL login from ${a}`]);
      assert.ok(await waitFor(() => h.events('ban').some((l) => l.addr === a || l.addr === '2001:db8:7::/64'), 5000), `${a} banned`);
    }
    const ban = h.events('ban').find((l) => l.addr === '2001:db8:7::/64');
    assert.equal(ban?.msg, '[sshd] Ban 2001:db8:7::/64 (3 addresses)');
    assert.ok(await waitFor(() => h.events('unban').filter((l) => /folded/.test(String(l.reason))).length === 2, 5000), 'the two single bans are folded in');

    const check = async (when: string): Promise<void> => {
      for (const a of [ATTACKERS[3]!, ATTACKERS[7]!, ATTACKERS[0]!]) assert.ok(!reaches(atk, a), `${when}: ${a} is inside the banned /64`);
      assert.ok(reaches(atk, IGNORED), `${when}: the ignoreip address inside the /64 still gets through`);
      assert.ok(reaches(atk, NEIGHBOUR), `${when}: a neighbour in another /64 gets through`);
    };
    await check('after escalation');
    if (backend === 'nftables') {
      // Ranges of one address (next to the holes) are single elements; the folded attacker bans are gone.
      assert.deepEqual(h.elements('sshd', 'v6').map((e) => e.addr).filter((a) => ATTACKERS.includes(a)), [], 'no folded ban left beside the prefix');
      assert.ok(h.elements('sshd', 'v6-net').length > 64, 'the /64 without two addresses (ignoreip, and the host with ignoreself): the ranges left');
    }

    const banned = await h.cliJson<{ addr: string; addresses?: number; except?: string[] }[]>(['banned', ATTACKERS[5]!]);
    // ignoreself (on by default) keeps the server's own 2001:db8:7::1 out too.
    assert.deepEqual(banned.map((b) => [b.addr, b.addresses, b.except]), [['2001:db8:7::/64', 3, [IGNORED, '2001:db8:7::1']]]);
    const unban = await h.cli(['unban', 'sshd', ATTACKERS[5]!]);
    assert.equal(unban.status, 1);
    assert.match(unban.stderr, /inside 2001:db8:7::\/64, banned in sshd/);
    const refused = await h.cli(['ban', 'sshd', '::/0']);
    assert.notEqual(refused.status, 0);
    assert.match(refused.stderr, /is every (IPv6 )?address/);
    assert.match((await h.cli(['ban', 'sshd', '2001:db8::/20'])).stderr, /wider than \/32/);

    assert.equal(await h.signal('SIGTERM'), 0);
    if (backend === 'nftables') h.ns.run('nft', ['flush', 'ruleset']);
    else h.ns.run('ipset', ['flush', 'f2b-sshd-n6']);
    await h.start(args);
    await check('after a restart over a wiped kernel state');

    if (backend === 'nftables') {
      h.ns.run('nft', ['flush', 'ruleset']);
      assert.ok(await waitFor(() => h.events('repair').length > 0, 5000), 'the daemon repairs a flushed ruleset');
      assert.ok(await waitFor(() => h.elements('sshd', 'v6-net').length > 64, 5000));
      await check('after nft flush ruleset');
    }
  } finally {
    atk.destroy();
    await h.destroy();
  }
}

test('nftables: escalation bans the /64 in an interval set, split around ignoreip; restart and flush keep it', () => scenario('nftables'));

test('ipset: escalation bans the /64 in a hash:net set, split around ignoreip; restart keeps it', () => scenario('ipset'));
