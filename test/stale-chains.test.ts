/**
 * Stale `f2b-*` chain cleanup against real iptables (legacy and nft) in a
 * namespace: fail2ban's `port = all` leftover (`f2b-ufw-port-scan` holding two
 * RETURN rules, no jump), a fail2ban jail chain with its jump, a crashed
 * f2b-fw chain; ufw-*, DOCKER-USER and a user's chain must stay untouched.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hostFirewallSnapshot, Netns } from './support/netns.js';
import { filterLines, hostIptablesState, nsRun, saveIn } from './support/iptables-ns.js';
import { IpsetAgent } from './support/ipset-agent.js';
import { cleanupStaleChains } from '../src/fw/stale.js';
import { FAIL2BAN_END } from '../src/fw/fail2ban-probe.js';
import { formatPlan, type Plan } from '../src/fw/plan.js';

/** The filter table a host with ufw, docker, a user's chain and fail2ban debris has. */
function leftoverScript(v6: boolean): string {
  const reject = v6 ? 'icmp6-port-unreachable' : 'icmp-port-unreachable';
  const banned = v6 ? '2001:db8:9::9/128' : '203.0.113.9/32';
  const mine = v6 ? '2001:db8::/32' : '192.0.2.0/24';
  return [
    '*filter',
    ':ufw-before-input - [0:0]', ':ufw-user-input - [0:0]', ':DOCKER-USER - [0:0]', ':my-chain - [0:0]',
    ':f2b-ufw-port-scan - [0:0]', ':f2b-sshd - [0:0]', ':f2b-crashed - [0:0]',
    '-A INPUT -j ufw-before-input',
    '-A INPUT -p tcp -m multiport --dports 22 -j f2b-sshd',
    '-A INPUT -j my-chain',
    '-A INPUT -m comment --comment f2b-fw -j f2b-crashed',
    '-A FORWARD -j DOCKER-USER',
    '-A ufw-before-input -i lo -j ACCEPT',
    '-A ufw-before-input -j ufw-user-input',
    '-A ufw-user-input -p tcp -m tcp --dport 22 -j ACCEPT',
    '-A DOCKER-USER -j RETURN',
    `-A my-chain -s ${mine} -m comment --comment "my own rule" -j ACCEPT`,
    '-A f2b-ufw-port-scan -j RETURN',
    '-A f2b-ufw-port-scan -j RETURN',
    `-A f2b-sshd -s ${banned} -j REJECT --reject-with ${reject}`,
    '-A f2b-sshd -j RETURN',
    `-A f2b-crashed -s ${banned} -m comment --comment f2b-fw -j DROP`,
    'COMMIT', '',
  ].join('\n');
}

/** A unix socket answering fail2ban's `ping` like a running fail2ban server. */
function fakeFail2ban(path: string): Promise<Server> {
  const server = createServer((c) => {
    let got = '';
    c.on('data', (b: Buffer) => {
      got += b.toString('latin1');
      if (got.includes(FAIL2BAN_END)) c.end(Buffer.concat([Buffer.from([0x80, 0x02, 0x4b, 0x00]), Buffer.from("X\x04\x00\x00\x00pong\x86.", 'latin1'), Buffer.from(FAIL2BAN_END)]));
    });
  });
  return new Promise((resolve) => server.listen(path, () => resolve(server)));
}

const hostBefore = hostFirewallSnapshot();
const hostIptBefore = hostIptablesState();
const dir = mkdtempSync(join(tmpdir(), 'f2b-stale-'));
const noFail2ban = join(dir, 'absent.sock');
after(() => rmSync(dir, { recursive: true, force: true }));

for (const variant of ['legacy', 'nft'] as const) {
  describe(`stale chain cleanup with iptables-${variant}`, () => {
    let ns: Netns;
    const foreign = (v6: boolean): string[] => filterLines(saveIn(ns, variant, v6)).filter((l) => !l.includes('f2b'));
    const load = (): void => {
      for (const v6 of [false, true]) ns.run(`${v6 ? 'ip6tables' : 'iptables'}-${variant}-restore`, [], leftoverScript(v6));
    };

    before(() => {
      ns = Netns.create(`st${variant.slice(0, 3)}`);
      load();
    });
    after(() => ns?.destroy());

    test('--dry-run explains every repair and changes nothing', async () => {
      const before = [saveIn(ns, variant), saveIn(ns, variant, true)];
      const { plan } = await cleanupStaleChains({ run: nsRun(ns), dryRun: true, fail2banSocket: noFail2ban });
      const label = `iptables-${variant} filter`;
      const leftover = plan.changes.find((c) => c.object === `${label} f2b-ufw-port-scan`);
      assert.equal(leftover?.action, 'delete');
      assert.equal(leftover?.reason, 'stale f2b chain: fail2ban leftover, nothing jumps to it, holding only 2 RETURN rule(s)');
      assert.ok(plan.changes.some((c) => c.kind === 'jump' && c.object === `iptables-${variant} filter INPUT: -p tcp -m multiport --dports 22 -j f2b-sshd`));
      assert.ok(plan.changes.some((c) => c.object === `ip6tables-${variant} filter f2b-crashed`));
      assert.equal(plan.changes.filter((c) => c.kind === 'chain').length, 6, formatPlan(plan));
      assert.deepEqual(JSON.parse(JSON.stringify(plan)), plan, 'plan is plain JSON for --json');
      assert.deepEqual([saveIn(ns, variant), saveIn(ns, variant, true)], before);
    });

    test('a running fail2ban keeps its chains unless forced', async () => {
      const sock = join(dir, `f2b-${variant}.sock`);
      const server = await fakeFail2ban(sock);
      try {
        const { plan, warnings } = await cleanupStaleChains({ run: nsRun(ns), dryRun: true, fail2banSocket: sock });
        assert.deepEqual(plan.changes.filter((c) => c.kind === 'chain').map((c) => c.object.split(' ').pop()), ['f2b-crashed', 'f2b-crashed']);
        assert.equal(warnings.length, 4);
        assert.ok(warnings.some((w) => /f2b-ufw-port-scan looks like fail2ban's and fail2ban is running/.test(w)), warnings.join('\n'));
        const forced = await cleanupStaleChains({ run: nsRun(ns), dryRun: true, force: true, fail2banSocket: sock });
        assert.equal(forced.plan.changes.filter((c) => c.kind === 'chain').length, 6);
      } finally {
        await new Promise((r) => server.close(r));
      }
    });

    test('cleanup removes the stale chains and their jumps, leaves foreign chains alone, and is idempotent', async () => {
      const foreignBefore = [foreign(false), foreign(true)];
      await cleanupStaleChains({ run: nsRun(ns), fail2banSocket: noFail2ban });
      for (const v6 of [false, true]) assert.doesNotMatch(saveIn(ns, variant, v6), /f2b/);
      assert.deepEqual([foreign(false), foreign(true)], foreignBefore);
      assert.ok(foreignBefore[0]!.includes('-A my-chain -s 192.0.2.0/24 -m comment --comment "my own rule" -j ACCEPT'));
      const again = await cleanupStaleChains({ run: nsRun(ns), fail2banSocket: noFail2ban });
      assert.deepEqual(again.plan.changes, []);
    });

    test('the driver takes over a dead fail2ban\'s chain, collapses duplicates and cleans the other variant', async () => {
      load();
      const other = variant === 'nft' ? 'legacy' : 'nft';
      ns.run(`iptables-${other}-restore`, ['--noflush'], '*filter\n:f2b-old - [0:0]\n-A f2b-old -j RETURN\nCOMMIT\n');
      // An unused leftover set goes; a set named like ours that the admin's own rule uses stays.
      ns.run('ipset', ['create', 'f2b-leftover', 'hash:ip', '-exist']);
      ns.run('ipset', ['create', 'f2b-user-kept', 'hash:ip', '-exist']);
      ns.run(`iptables-${variant}`, ['-A', 'my-chain', '-m', 'set', '--match-set', 'f2b-user-kept', 'src', '-j', 'ACCEPT']);
      const agent = IpsetAgent.start(ns, variant, [noFail2ban]);
      try {
        const layout = { priority: -10, jails: [{ name: 'sshd', ports: [{ from: 22, to: 22 }], protocols: ['tcp'], hooks: ['input'], verdict: 'drop', maxelem: 65536 }] };
        const first = await agent.call<Plan>('reconcile', { layout, bans: [] });
        const sshd = first.changes.find((c) => c.object === `iptables-${variant} filter f2b-sshd`);
        assert.deepEqual([sshd?.action, sshd?.reason], ['replace', "taken over: every rule in it lacks f2b-fw's comment (fail2ban's chain, fail2ban not running)"]);
        assert.ok(first.changes.some((c) => c.object === `iptables-${other} filter f2b-old` && c.action === 'delete'));
        assert.deepEqual(first.changes.filter((c) => c.kind === 'ipset' && c.action === 'delete').map((c) => c.object), ['f2b-leftover']);
        assert.ok(agent.warnings.some((w) => /ipset f2b-user-kept .* used by rules outside f2b-\* chains/.test(w)), agent.warnings.join('\n'));
        const sets = ns.run('ipset', ['list', '-n']);
        assert.match(sets, /^f2b-user-kept$/m);
        assert.doesNotMatch(sets, /f2b-leftover/);
        const jump = '-A INPUT -p tcp -m multiport --dports 22 -m comment --comment f2b-fw -j f2b-sshd';
        const rule = '-A f2b-sshd -m set --match-set f2b-sshd src -m comment --comment f2b-fw -j DROP';
        // A crash between two writes: our rules and jump twice.
        ns.run(`iptables-${variant}-restore`, ['--noflush'], `*filter\n${rule}\n${jump}\nCOMMIT\n`);
        const second = await agent.call<Plan>('reconcile', { layout, bans: [] });
        assert.ok(second.changes.some((c) => c.action === 'replace' && /duplicate rules collapsed \(3 → 2\)/.test(c.reason)), formatPlan(second));
        assert.ok(second.changes.some((c) => c.kind === 'jump' && c.action === 'remove' && c.reason === 'duplicate'));
        const lines = filterLines(saveIn(ns, variant));
        assert.equal(lines.filter((l) => l === jump).length, 1);
        assert.equal(lines.filter((l) => l === rule).length, 1);
        assert.doesNotMatch(saveIn(ns, other), /f2b/);
        assert.deepEqual((await agent.call<Plan>('reconcile', { layout, bans: [] })).changes, []);
      } finally {
        await agent.stop();
      }
    });
  });
}

test('the host firewall is untouched', () => {
  assert.equal(hostFirewallSnapshot(), hostBefore);
  assert.equal(hostIptablesState(), hostIptBefore);
});
