/**
 * The backend from the configuration and stale-chain cleanup on nftables
 * hosts, end to end with the real CLI in namespaces (real nft, iptables,
 * ipset): fail2ban's `port = all` leftover (`f2b-ufw-port-scan`, two RETURN
 * rules, no jump) is listed by `reconcile --dry-run --json`, removed by
 * `reconcile` and by daemon start-up while ufw-*, DOCKER-USER and a user's
 * chain stay; `banaction = iptables-multiport` runs the ipset backend; a
 * mismatched or unknown banaction (and prerouting on ipset) exits 3 with the
 * namespace's firewall unchanged.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { CLI_ENTRY } from '../src/core/paths.js';
import { DaemonHarness, jailSection } from './support/daemon-harness.js';
import { hostFirewallSnapshot, type Netns } from './support/netns.js';
import { filterLines, hostIptablesState, ipsetNames, saveIn } from './support/iptables-ns.js';
import type { PlanChange } from '../src/fw/plan.js';

const hostBefore = hostFirewallSnapshot();
const hostIptBefore = hostIptablesState();
after(() => {
  assert.equal(hostFirewallSnapshot(), hostBefore, 'the host firewall is untouched');
  assert.equal(hostIptablesState(), hostIptBefore, 'host iptables and ipsets are untouched');
});

/** fail2ban's leftover from the issue, next to ufw, docker and a user's chain (IPv4 filter table). */
const LEFTOVER = [
  '*filter',
  ':ufw-before-input - [0:0]', ':DOCKER-USER - [0:0]', ':my-chain - [0:0]', ':f2b-ufw-port-scan - [0:0]',
  '-A INPUT -j ufw-before-input',
  '-A INPUT -j my-chain',
  '-A FORWARD -j DOCKER-USER',
  '-A ufw-before-input -i lo -j ACCEPT',
  '-A DOCKER-USER -j RETURN',
  '-A my-chain -s 192.0.2.0/24 -j ACCEPT',
  '-A f2b-ufw-port-scan -j RETURN',
  '-A f2b-ufw-port-scan -j RETURN',
  'COMMIT', '',
].join('\n');

/** Runs `f2b-fw ARGS` inside the harness's namespace against its config, db and socket. */
function cliIn(h: DaemonHarness, args: readonly string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = h.ns.spawn('node', [CLI_ENTRY, ...args, '--config-dir', h.config.dir, '--db', h.db, '--socket', h.socket, '--pidfile', h.pidfile],
      { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (c: string) => { stdout += c; });
    child.stderr!.setEncoding('utf8').on('data', (c: string) => { stderr += c; });
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** The namespace's whole firewall: nftables ruleset (JSON), both iptables variants and families, ipsets. */
function firewallOf(ns: Netns): string {
  const nft = JSON.parse(ns.run('nft', ['-j', 'list', 'ruleset'])) as { nftables: Record<string, unknown>[] };
  return JSON.stringify([
    nft.nftables.filter((o) => !('metainfo' in o)),
    ...(['legacy', 'nft'] as const).flatMap((v) => [saveIn(ns, v), saveIn(ns, v, true)]),
    ipsetNames(ns),
  ]);
}

/** A harness with one enabled jail and `defaults` in [DEFAULT], fail2ban's leftover loaded into iptables-`variant`. */
function harness(label: string, defaults: string, variant: 'legacy' | 'nft', jailExtra: Record<string, string> = {}): DaemonHarness {
  const h = new DaemonHarness(label, '');
  const log = h.path('a.log');
  h.touch(log);
  h.config.write('jail.local', `[DEFAULT]\n${defaults}\n\n${jailSection('sshd', log, { port: 'ssh', ...jailExtra })}`);
  h.ns.run(`iptables-${variant}-restore`, [], LEFTOVER);
  return h;
}

const foreignLines = (ns: Netns, variant: 'legacy' | 'nft'): string[] => filterLines(saveIn(ns, variant)).filter((l) => !l.includes('f2b'));

for (const variant of ['nft', 'legacy'] as const) {
  test(`nftables backend, iptables-${variant}: reconcile --dry-run --json lists fail2ban's leftover, reconcile removes it, foreign chains stay`, async () => {
    const h = harness(`bi${variant.slice(0, 3)}`, 'banaction = nftables', variant);
    try {
      const before = saveIn(h.ns, variant);
      const foreign = foreignLines(h.ns, variant);
      const dry = await cliIn(h, ['reconcile', '--dry-run', '--json']);
      assert.equal(dry.status, 0, dry.stderr);
      const plan = JSON.parse(dry.stdout) as { dryRun: boolean; applied: boolean; changes: PlanChange[] };
      assert.equal(plan.dryRun, true);
      const leftover = plan.changes.find((c) => c.object === `iptables-${variant} filter f2b-ufw-port-scan`);
      assert.deepEqual([leftover?.action, leftover?.reason], ['delete', 'stale f2b chain: fail2ban leftover, nothing jumps to it, holding only 2 RETURN rule(s)']);
      assert.ok(plan.changes.some((c) => c.kind === 'table' && c.action === 'create'), 'our nftables table is in the same plan');
      assert.equal(saveIn(h.ns, variant), before, '--dry-run changed nothing in iptables');
      assert.doesNotMatch(h.ns.run('nft', ['list', 'tables']), /f2b-fw/, '--dry-run changed nothing in nftables');

      const real = await cliIn(h, ['reconcile']);
      assert.equal(real.status, 0, real.stderr);
      assert.match(real.stdout, /delete +chain iptables-\w+ filter f2b-ufw-port-scan \(stale f2b chain: fail2ban leftover/);
      assert.doesNotMatch(saveIn(h.ns, variant), /f2b/);
      assert.deepEqual(foreignLines(h.ns, variant), foreign, 'ufw-*, DOCKER-USER and my-chain untouched');
      assert.ok(foreign.includes('-A FORWARD -j DOCKER-USER') && foreign.includes('-A my-chain -s 192.0.2.0/24 -j ACCEPT'));
      assert.match(h.ns.run('nft', ['list', 'tables']), /inet f2b-fw/);
      const again = await cliIn(h, ['reconcile', '--json']);
      assert.deepEqual((JSON.parse(again.stdout) as { changes: PlanChange[] }).changes, [], 'idempotent');
    } finally {
      await h.destroy();
    }
  });
}

test('daemon start-up on nftables (banaction from the config) removes the leftover and logs it; reconcile through the daemon reports the same cleanup', async () => {
  const h = harness('bid', 'banaction = nftables', 'nft');
  try {
    const foreign = foreignLines(h.ns, 'nft');
    await h.start();
    assert.equal(h.events('backend')[0]?.backend, 'nftables');
    assert.match(h.events('backend')[0]!.msg, /firewall backend nftables: banaction = nftables \(.*jail\.local:2\)/);
    assert.doesNotMatch(saveIn(h.ns, 'nft'), /f2b/);
    assert.deepEqual(foreignLines(h.ns, 'nft'), foreign);
    const logged = h.events('stale-chains');
    assert.equal(logged.length, 1);
    assert.match(logged[0]!.msg, /removed stale f2b-\* iptables chains: .*f2b-ufw-port-scan \(stale f2b chain: fail2ban leftover/s);
    // A leftover appearing later is found by `f2b-fw reconcile` through the running daemon.
    h.ns.run('iptables-nft-restore', ['--noflush'], '*filter\n:f2b-recidive - [0:0]\n-A f2b-recidive -j RETURN\nCOMMIT\n');
    const dry = await h.cliJson<{ changes: PlanChange[] }>(['reconcile', '--dry-run']);
    assert.deepEqual(dry.changes.map((c) => c.object), ['iptables-nft filter f2b-recidive']);
    assert.match(saveIn(h.ns, 'nft'), /f2b-recidive/);
    const real = await h.cliJson<{ changes: PlanChange[] }>(['reconcile']);
    assert.equal(real.changes.length, 1);
    assert.doesNotMatch(saveIn(h.ns, 'nft'), /f2b/);
    // One backend per daemon: a reload asking for another one is refused and the daemon keeps running.
    h.config.write('jail.local', `[DEFAULT]\nbanaction = iptables-ipset\n\n${jailSection('sshd', h.path('a.log'), { port: 'ssh' })}`);
    const reload = await h.cli(['reload']);
    assert.equal(reload.status, 3, reload.stderr);
    assert.match(reload.stderr, /jail\.local:2 \[DEFAULT\] banaction = "iptables-ipset": asks for the ipset backend but the daemon runs nftables; restart f2b-fw to switch backends/);
    assert.equal((await h.cliJson<{ backend: string }>(['status'])).backend, 'nftables');
    assert.deepEqual(ipsetNames(h.ns), []);
  } finally {
    await h.destroy();
  }
});

test('banaction = iptables-multiport (fail2ban\'s default) runs the ipset backend: our ipsets and f2b-<jail> chains, no nftables table', async () => {
  const h = harness('bip', 'banaction = iptables-multiport\nbanaction_allports = iptables-allports', 'nft');
  try {
    await h.start();
    assert.equal(h.events('backend')[0]?.backend, 'ipset');
    assert.deepEqual(ipsetNames(h.ns).filter((n) => n.startsWith('f2b-')), ['f2b-sshd', 'f2b-sshd-6', 'f2b-sshd-n', 'f2b-sshd-n6']);
    const save = h.ns.run('iptables-save', []);
    assert.match(save, /^:f2b-sshd /m);
    assert.match(save, /-A INPUT .*--dports 22 .*-j f2b-sshd/);
    assert.doesNotMatch(save, /f2b-ufw-port-scan/, 'the ipset backend cleans leftovers too');
    assert.doesNotMatch(h.ns.run('nft', ['list', 'tables']), /inet f2b-fw/);
    const status = await h.cliJson<{ backend: string }>(['status']);
    assert.equal(status.backend, 'iptables-ipset');
  } finally {
    await h.destroy();
  }
});

test('a jail with another banaction, an unknown banaction and prerouting on ipset: run, reconcile and check-config exit 3, the firewall is unchanged', async () => {
  const cases: [string, string, Record<string, string>, RegExp][] = [
    ['mismatch', 'banaction = nftables', { banaction: 'iptables-allports' }, /jail\.local:\d+ \[sshd\] banaction = "iptables-allports": one backend per daemon/],
    ['unknown', 'banaction = shorewall-ipset-proto6', {}, /jail\.local:2 \[DEFAULT\] banaction = "shorewall-ipset-proto6": unknown banaction/],
    ['prerouting', 'banaction = iptables-ipset', { hooks: 'input, prerouting' }, /jail\.local:\d+ \[sshd\] hooks = "input, prerouting": the iptables-ipset backend attaches to input and forward only/],
  ];
  for (const [name, defaults, extra, message] of cases) {
    const h = harness(`bx${name.slice(0, 3)}`, defaults, 'nft', extra);
    try {
      const before = firewallOf(h.ns);
      for (const args of [['run', '--logtarget', 'STDOUT'], ['reconcile'], ['check-config']]) {
        const r = await cliIn(h, args);
        assert.equal(r.status, 3, `${name}: f2b-fw ${args[0]} exited ${r.status}: ${r.stderr}`);
        assert.match(r.stderr + r.stdout, message, `${name}: f2b-fw ${args[0]}`);
      }
      assert.equal(firewallOf(h.ns), before, `${name}: nothing changed in nftables, iptables or ipset`);
    } finally {
      await h.destroy();
    }
  }
});
