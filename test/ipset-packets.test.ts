/**
 * The iptables-ipset backend against real packets, for iptables-legacy and
 * iptables-nft: an attacker namespace, a router running the driver (INPUT
 * listener on 22, DNAT of 8080 to a server's port 80), bans/unbans over
 * netlink, reconcile idempotence, teardown, and a bad start changing nothing.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { hostFirewallSnapshot, link, listen, Netns, sh, waitFor } from './support/netns.js';
import { IpsetAgent, type AgentError } from './support/ipset-agent.js';
import { filterLines, hostIptablesState, ipsetNames, saveIn } from './support/iptables-ns.js';
import type { FirewallLayout } from '../src/fw/layout.js';
import type { Plan } from '../src/fw/plan.js';
import type { Ban } from '../src/core/records.js';

const LAYOUT: FirewallLayout = {
  priority: -10,
  jails: [
    { name: 'sshd', ports: [{ from: 22, to: 22 }], protocols: ['tcp'], hooks: ['input', 'forward'], verdict: 'drop', maxelem: 1048576 },
    { name: 'web', ports: [{ from: 8080, to: 8080 }], protocols: ['tcp'], hooks: ['forward'], verdict: 'reject', maxelem: 1048576 },
  ],
};

const hostBefore = hostFirewallSnapshot();
const hostIptBefore = hostIptablesState();

for (const variant of ['legacy', 'nft'] as const) {
  describe(`ipset backend with iptables-${variant}`, () => {
    let a: Netns;
    let r: Netns;
    let s: Netns;
    let agent: IpsetAgent;

    /** TCP connect from `src` (an address of the attacker) to host:port. */
    const reach = (src: string, host: string, port: number): boolean => a.try('nc', ['-z', '-w', '1', '-s', src, host, String(port)]);
    const ban = (jail: string, addr: string, ttl: number | null = 600): Ban => ({ jail, addr, expiresAt: ttl === null ? null : Date.now() + ttl * 1000 });

    before(async () => {
      a = Netns.create('ipa');
      r = Netns.create('ipr');
      s = Netns.create('ips');
      link(a, 'eth0', ['198.51.100.2/24', '198.51.100.3/24', '2001:db8:1::2/64', '2001:db8:1::3/64'], r, 'eth0', ['198.51.100.1/24', '2001:db8:1::1/64']);
      link(r, 'eth1', ['203.0.113.1/24', '2001:db8:2::1/64'], s, 'eth0', ['203.0.113.2/24', '2001:db8:2::2/64']);
      a.run('ip', ['route', 'add', 'default', 'via', '198.51.100.1']);
      s.run('ip', ['route', 'add', 'default', 'via', '203.0.113.1']);
      r.enableForwarding();
      r.run(`iptables-${variant}`, ['-t', 'nat', '-A', 'PREROUTING', '-p', 'tcp', '--dport', '8080', '-j', 'DNAT', '--to-destination', '203.0.113.2:80']);
      listen(r, 22);
      listen(r, 22, true);
      listen(s, 80);
      assert.ok(await waitFor(() => reach('198.51.100.2', '198.51.100.1', 22)), 'listener on the router');
      assert.ok(await waitFor(() => reach('198.51.100.2', '198.51.100.1', 8080)), 'DNAT path to the server');
      agent = IpsetAgent.start(r, variant);
    });

    after(async () => {
      await agent?.stop();
      for (const ns of [a, r, s]) ns?.destroy();
    });

    test('reconcile creates the sets, chains and jumps in the namespace', async () => {
      const plan = await agent.call<Plan>('reconcile', { layout: LAYOUT, bans: [] });
      assert.ok(plan.changes.some((c) => c.kind === 'ipset' && c.object === 'f2b-sshd' && c.action === 'create'));
      assert.deepEqual(ipsetNames(r), ['f2b-sshd', 'f2b-sshd-6', 'f2b-sshd-n', 'f2b-sshd-n6', 'f2b-web', 'f2b-web-6', 'f2b-web-n', 'f2b-web-n6']);
      const header = r.run('ipset', ['list', '-t', 'f2b-sshd']);
      assert.match(header, /maxelem 1048576 timeout 0/);
      const v4 = filterLines(saveIn(r, variant));
      assert.ok(v4.includes('-A INPUT -p tcp -m multiport --dports 22 -m comment --comment f2b-fw -j f2b-sshd'), v4.join('\n'));
      assert.ok(v4.includes('-A FORWARD -p tcp -m conntrack --ctorigdstport 8080 -m comment --comment f2b-fw -j f2b-web'));
      assert.ok(v4.includes('-A f2b-sshd -m set --match-set f2b-sshd src -m comment --comment f2b-fw -j DROP'));
      const v6 = filterLines(saveIn(r, variant, true));
      assert.ok(v6.includes('-A f2b-web -m set --match-set f2b-web-6 src -m comment --comment f2b-fw -j REJECT --reject-with icmp6-port-unreachable'), v6.join('\n'));
      const again = await agent.call<Plan>('reconcile', { layout: LAYOUT, bans: [] });
      assert.deepEqual(again.changes, [], 'a second reconcile has nothing to do');
    });

    test('a ban drops INPUT traffic from that address only; unban restores it', async () => {
      await agent.call('ban', { bans: [ban('sshd', '198.51.100.2'), ban('sshd', '2001:db8:1::2')] });
      assert.equal(reach('198.51.100.2', '198.51.100.1', 22), false);
      assert.equal(reach('198.51.100.3', '198.51.100.1', 22), true);
      assert.equal(reach('2001:db8:1::2', '2001:db8:1::1', 22), false);
      assert.equal(reach('2001:db8:1::3', '2001:db8:1::1', 22), true);
      await agent.call('unban', { keys: [{ jail: 'sshd', addr: '198.51.100.2' }, { jail: 'sshd', addr: '2001:db8:1::2' }] });
      assert.equal(reach('198.51.100.2', '198.51.100.1', 22), true);
      assert.equal(reach('2001:db8:1::2', '2001:db8:1::1', 22), true);
    });

    test('the FORWARD path matches the pre-DNAT port (8080), not the server port (80)', async () => {
      await agent.call('ban', { bans: [ban('web', '198.51.100.2')] });
      assert.equal(reach('198.51.100.2', '198.51.100.1', 8080), false);
      assert.equal(reach('198.51.100.3', '198.51.100.1', 8080), true);
      assert.equal(reach('198.51.100.2', '198.51.100.1', 22), true, 'the web ban does not cover ssh');
      await agent.call('unban', { keys: [{ jail: 'web', addr: '198.51.100.2' }] });
      assert.equal(reach('198.51.100.2', '198.51.100.1', 8080), true);
    });

    test('a prefix ban goes to the hash:net set and covers the whole prefix', async () => {
      await agent.call('ban', { bans: [ban('sshd', '198.51.100.0/24')] });
      assert.match(r.run('ipset', ['list', 'f2b-sshd-n']), /198\.51\.100\.0\/24 timeout \d+/);
      assert.equal(reach('198.51.100.3', '198.51.100.1', 22), false);
      const listed = await agent.call<Ban[]>('list', { jail: 'sshd' });
      assert.deepEqual(listed.map((b) => b.addr), ['198.51.100.0/24']);
      await agent.call('unbanAll', { jail: 'sshd' });
      assert.equal(reach('198.51.100.3', '198.51.100.1', 22), true);
    });

    test('reconcile with no jails removes every chain, jump and set', async () => {
      const plan = await agent.call<Plan>('reconcile', { layout: { priority: -10, jails: [] }, bans: [] });
      assert.ok(plan.changes.some((c) => c.kind === 'chain' && c.action === 'delete' && c.object.endsWith('f2b-sshd')));
      for (const v6 of [false, true]) assert.doesNotMatch(saveIn(r, variant, v6), /f2b/);
      assert.deepEqual(ipsetNames(r), []);
    });

    test('a start with a bad port changes nothing', async () => {
      const before = [saveIn(r, variant), saveIn(r, variant, true), ipsetNames(r).join()];
      const bad: FirewallLayout = { priority: -10, jails: [{ ...LAYOUT.jails[0]!, name: 'bad', ports: [{ from: 70000, to: 70000 }] }, LAYOUT.jails[1]!] };
      await assert.rejects(agent.call('reconcile', { layout: bad, bans: [] }), (e: AgentError) => e.code === 'config' && /port = "70000"/.test(e.message));
      assert.deepEqual([saveIn(r, variant), saveIn(r, variant, true), ipsetNames(r).join()], before);
    });
  });
}

test('the host firewall and the host ipsets are untouched', () => {
  assert.equal(hostFirewallSnapshot(), hostBefore);
  assert.equal(hostIptablesState(), hostIptBefore);
  assert.equal(sh('ipset', ['list', '-n']), '');
});
