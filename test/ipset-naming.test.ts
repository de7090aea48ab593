/**
 * Pure parts of the ipset backend: the naming scheme, layout validation,
 * the rule texts, and the chain planner on hand-written save output.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { baseName, CHAIN_MAX, jailNames, jailSets } from '../src/fw/ipset/naming.js';
import { desiredRules, jumpRules, validateLayout } from '../src/fw/ipset/rules.js';
import { parseFilterSave, ruleTarget, ruleWords } from '../src/fw/iptables.js';
import { planChains } from '../src/fw/stale.js';
import { ConfigError } from '../src/core/errors.js';
import type { FirewallLayout, JailFirewall } from '../src/fw/layout.js';

const jail = (over: Partial<JailFirewall>): JailFirewall => ({ name: 'sshd', ports: [{ from: 22, to: 22 }], protocols: ['tcp'], hooks: ['input', 'forward'], verdict: 'drop', maxelem: 1048576, ...over });

test('short safe jail names keep fail2ban\'s f2b-<jail>; sets add -6, -n, -n6', () => {
  const n = jailNames('nginx-http-auth');
  assert.equal(n.chain, 'f2b-nginx-http-auth');
  assert.deepEqual(jailSets(n).map((s) => `${s.name} ${s.type} ${s.family}`), [
    'f2b-nginx-http-auth hash:ip inet', 'f2b-nginx-http-auth-6 hash:ip inet6',
    'f2b-nginx-http-auth-n hash:net inet', 'f2b-nginx-http-auth-n6 hash:net inet6',
  ]);
});

test('long or unusual names are cut and hashed: deterministic, within limits, distinct', () => {
  const a = baseName('apache-badbots-and-crawlers-number-one');
  const b = baseName('apache-badbots-and-crawlers-number-two');
  assert.equal(a, baseName('apache-badbots-and-crawlers-number-one'));
  assert.notEqual(a, b);
  assert.match(a, /^f2b-apache-badbots-an-[0-9a-f]{6}$/);
  for (const name of [a, b, baseName('my jail "x"'), baseName('x'.repeat(200))]) {
    assert.ok(name.length <= CHAIN_MAX, name);
    assert.ok(`${name}-n6`.length <= 31);
    assert.match(name, /^[A-Za-z0-9_.-]+$/);
  }
  assert.match(baseName('my jail'), /^f2b-my_jail-[0-9a-f]{6}$/);
  assert.equal(baseName('x'.repeat(24)), `f2b-${'x'.repeat(24)}`);
  assert.notEqual(baseName('x'.repeat(25)), `f2b-${'x'.repeat(25)}`);
});

test('layout validation refuses what iptables cannot express, before any kernel change', () => {
  const bad = (j: Partial<JailFirewall>, re: RegExp): void => {
    assert.throws(() => validateLayout({ priority: 0, jails: [jail(j)] }), (e: Error) => e instanceof ConfigError && re.test(e.message));
  };
  bad({ ports: [{ from: 70000, to: 70000 }] }, /\[sshd\] port = "70000": not a port/);
  bad({ ports: [{ from: 90, to: 80 }] }, /port = "90:80"/);
  bad({ hooks: ['prerouting'] }, /hooks = "prerouting".*nftables backend/);
  assert.throws(() => validateLayout({ priority: 0, jails: [jail({ name: 'a' }), jail({ name: 'a-n' })] }), /kernel name f2b-a-n is also used by jail "a"/);
});

test('rules: multiport groups of 15 slots on INPUT, one conntrack rule per range on FORWARD, reject variants', () => {
  const ports = Array.from({ length: 12 }, (_, i) => ({ from: 1000 + i * 10, to: 1000 + i * 10 + (i % 2) }));
  const jumps = jumpRules(jail({ ports, protocols: ['tcp', 'udp'] }), 'f2b-x');
  assert.equal(jumps.filter((j) => j.from === 'INPUT').length, 4);
  assert.equal(jumps.filter((j) => j.from === 'FORWARD').length, 24);
  assert.equal(jumps[0]!.rule, '-p tcp -m multiport --dports 1000,1010:1011,1020,1030:1031,1040,1050:1051,1060,1070:1071,1080,1090:1091 -m comment --comment f2b-fw -j f2b-x');
  assert.deepEqual(jumpRules(jail({ ports: 'all' }), 'f2b-x').map((j) => `${j.from} ${j.rule}`), ['INPUT -m comment --comment f2b-fw -j f2b-x', 'FORWARD -m comment --comment f2b-fw -j f2b-x']);
  const layout: FirewallLayout = { priority: 0, jails: [jail({ verdict: 'reject', maxelem: 1048576 })] };
  assert.deepEqual(desiredRules(layout, 'inet6').chains[0]!.rules, [
    '-p tcp -m set --match-set f2b-sshd-6 src -m comment --comment f2b-fw -j REJECT --reject-with tcp-reset',
    '-m set --match-set f2b-sshd-6 src -m comment --comment f2b-fw -j REJECT --reject-with icmp6-port-unreachable',
    '-p tcp -m set --match-set f2b-sshd-n6 src -m comment --comment f2b-fw -j REJECT --reject-with tcp-reset',
    '-m set --match-set f2b-sshd-n6 src -m comment --comment f2b-fw -j REJECT --reject-with icmp6-port-unreachable',
  ]);
});

test('save parsing: only *filter, quoted comments, targets', () => {
  const t = parseFilterSave('*nat\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -j f2b-nat\nCOMMIT\n*filter\n:INPUT ACCEPT [0:0]\n:f2b-a - [0:0]\n-A INPUT -m comment --comment "a -j f2b-b" -j f2b-a\nCOMMIT\n', 'nft', 'inet');
  assert.deepEqual([...t.chains.keys()], ['INPUT', 'f2b-a']);
  const rule = t.chains.get('INPUT')![0]!;
  assert.deepEqual(ruleWords(rule), ['-m', 'comment', '--comment', 'a -j f2b-b', '-j', 'f2b-a']);
  assert.equal(ruleTarget(rule), 'f2b-a');
});

test('the planner writes one script per table in a safe order and nothing when in sync', () => {
  const layout: FirewallLayout = { priority: 0, jails: [jail({ hooks: ['input'] })] };
  const rules = desiredRules(layout, 'inet');
  const save = '*filter\n:INPUT ACCEPT [0:0]\n:f2b-gone - [0:0]\n-A INPUT -j f2b-gone\n-A f2b-gone -j RETURN\nCOMMIT\n';
  const plan = planChains({ tables: [parseFilterSave(save, 'legacy', 'inet')], desired: [{ variant: 'legacy', rules }], fail2banRunning: false, force: false });
  assert.deepEqual(plan.scripts[0]!.lines, [
    ':f2b-sshd - [0:0]',
    '-D INPUT -j f2b-gone',
    '-A f2b-sshd -m set --match-set f2b-sshd src -m comment --comment f2b-fw -j DROP',
    '-A f2b-sshd -m set --match-set f2b-sshd-n src -m comment --comment f2b-fw -j DROP',
    '-I INPUT 1 -p tcp -m multiport --dports 22 -m comment --comment f2b-fw -j f2b-sshd',
    '-F f2b-gone',
    '-X f2b-gone',
  ]);
  const synced = ['*filter', ':INPUT ACCEPT [0:0]', ':f2b-sshd - [0:0]', `-A INPUT ${rules.jumps[0]!.rule}`, ...rules.chains[0]!.rules.map((r) => `-A f2b-sshd ${r}`), 'COMMIT'].join('\n');
  const none = planChains({ tables: [parseFilterSave(synced, 'legacy', 'inet')], desired: [{ variant: 'legacy', rules }], fail2banRunning: false, force: false });
  assert.deepEqual([none.changes, none.scripts], [[], []]);
});

test('a chain a jail needs that a running fail2ban owns stops the run unless forced', () => {
  const layout: FirewallLayout = { priority: 0, jails: [jail({ hooks: ['input'] })] };
  const rules = desiredRules(layout, 'inet');
  const save = '*filter\n:INPUT ACCEPT [0:0]\n:f2b-sshd - [0:0]\n-A INPUT -p tcp -m multiport --dports 22 -j f2b-sshd\n-A f2b-sshd -j RETURN\nCOMMIT\n';
  const tables = [parseFilterSave(save, 'nft', 'inet')];
  const held = planChains({ tables, desired: [{ variant: 'nft', rules }], fail2banRunning: true, force: false });
  assert.match(held.conflicts[0]!, /chain f2b-sshd is needed for jail sshd but belongs to the running fail2ban/);
  const forced = planChains({ tables, desired: [{ variant: 'nft', rules }], fail2banRunning: true, force: true });
  assert.deepEqual(forced.conflicts, []);
  assert.deepEqual(forced.changes.map((c) => `${c.action} ${c.kind} ${c.reason}`), [
    "replace chain taken over: every rule in it lacks f2b-fw's comment (fail2ban's chain, --force)",
    'remove jump not in config (ports, protocols or hooks changed)',
    'add jump missing',
  ]);
});
