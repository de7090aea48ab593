/**
 * Reconcile against a real kernel (inside namespaces): idempotence, removal
 * of a removed jail's objects, changed ports, duplicates, foreign tables,
 * an unmarked table named like ours, and the CLI refusing a bad config
 * without touching the kernel.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Netns, hostFirewallSnapshot } from './support/netns.js';
import { AgentError, NftAgent } from './support/nft-agent.js';
import { CLI_ENTRY } from '../src/core/paths.js';
import type { FirewallLayout, JailFirewall } from '../src/fw/layout.js';

const hostBefore = hostFirewallSnapshot();
const cleanups: (() => Promise<void> | void)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
  assert.equal(hostFirewallSnapshot(), hostBefore, 'host firewall untouched');
});

/** A namespace with an agent in it, both removed after the tests. */
function setup(label: string): { ns: Netns; agent: NftAgent } {
  const ns = Netns.create(label);
  const agent = NftAgent.start(ns);
  cleanups.push(async () => { await agent.stop(); ns.destroy(); });
  return { ns, agent };
}

const sshd: JailFirewall = { name: 'sshd', ports: [{ from: 22, to: 22 }], protocols: ['tcp'], hooks: ['input', 'forward'], verdict: 'drop', maxelem: 1048576 };
const web: JailFirewall = { name: 'web', ports: [{ from: 80, to: 80 }, { from: 443, to: 443 }], protocols: ['tcp'], hooks: ['input'], verdict: 'reject', maxelem: 1048576 };
const both: FirewallLayout = { priority: -10, jails: [sshd, web] };
const FOREIGN = 'table inet filter {\n chain input {\n  type filter hook input priority filter; policy accept;\n  tcp dport 22 accept\n }\n}\n';

/** The ruleset as JSON, without the remaining-time counters that tick on their own. */
function rulesetJson(ns: Netns): string {
  return ns.run('nft', ['-j', 'list', 'ruleset']).replace(/, "expires": \d+/g, '');
}
function ruleset(ns: Netns): string {
  return ns.run('nft', ['list', 'ruleset']);
}

test('apply, then a second reconcile gives an empty plan; foreign tables are left alone', async () => {
  const { ns, agent } = setup('rc1');
  ns.run('nft', ['-f', '-'], FOREIGN);
  const foreign = ns.run('nft', ['list', 'table', 'inet', 'filter']);
  const bans = [{ jail: 'sshd', addr: '192.0.2.5', expiresAt: Date.now() + 600_000 }, { jail: 'web', addr: '2001:db8::5', expiresAt: null }];
  const first = await agent.reconcile(both, bans);
  assert.ok(first.changes.some((c) => c.kind === 'table' && c.action === 'create'));
  assert.deepEqual((await agent.reconcile(both, bans)).changes, []);
  assert.equal(ns.run('nft', ['list', 'table', 'inet', 'filter']), foreign);
  assert.deepEqual((await agent.list()).map((b) => b.addr).sort(), ['192.0.2.5', '2001:db8::5']);
});

test('a removed jail loses its sets and rules; changed ports replace rules; duplicates go', async () => {
  const { ns, agent } = setup('rc2');
  await agent.reconcile(both, [{ jail: 'sshd', addr: '192.0.2.5', expiresAt: null }]);
  // Someone copies one of our rules: reconcile removes the copy.
  const ours = /tcp dport 22 ip saddr @sshd-v4 drop comment "([^"]+)"/.exec(ruleset(ns));
  assert.ok(ours);
  ns.run('nft', ['add', 'rule', 'inet', 'f2b-fw', 'input', 'tcp', 'dport', '22', 'ip', 'saddr', '@sshd-v4', 'drop', 'comment', `"${ours[1]}"`]);
  const dup = await agent.reconcile(both, [{ jail: 'sshd', addr: '192.0.2.5', expiresAt: null }]);
  assert.deepEqual(dup.changes.map((c) => `${c.action} ${c.kind} ${c.reason}`), ['delete rule duplicate']);

  const moved: FirewallLayout = { priority: -10, jails: [{ ...sshd, ports: [{ from: 2222, to: 2222 }] }] };
  const plan = await agent.reconcile(moved, [{ jail: 'sshd', addr: '192.0.2.5', expiresAt: null }]);
  assert.ok(plan.changes.some((c) => c.kind === 'set' && c.action === 'delete' && c.object.endsWith('web-v4')));
  assert.ok(plan.changes.some((c) => c.kind === 'rule' && c.action === 'delete' && c.reason === 'ports, protocol or verdict changed'));
  const text = ruleset(ns);
  assert.doesNotMatch(text, /web/);
  assert.doesNotMatch(text, /dport 22 /);
  assert.match(text, /tcp dport 2222 ip saddr @sshd-v4 drop/);
  assert.match(text, /ct original proto-dst/);
  assert.match(text, /192\.0\.2\.5/);
  assert.deepEqual((await agent.reconcile(moved, [{ jail: 'sshd', addr: '192.0.2.5', expiresAt: null }])).changes, []);
});

test('a priority change replaces the base chains and keeps the rules', async () => {
  const { ns, agent } = setup('rc3');
  await agent.reconcile(both);
  const plan = await agent.reconcile({ ...both, priority: -20 });
  assert.deepEqual(plan.changes.filter((c) => c.kind === 'chain').map((c) => c.action), ['replace', 'replace']);
  assert.match(ruleset(ns), /hook input priority -20;/);
  assert.deepEqual((await agent.reconcile({ ...both, priority: -20 })).changes, []);
});

test('an unmarked table named like ours is refused unless forced', async () => {
  const { ns, agent } = setup('rc4');
  ns.run('nft', ['add', 'table', 'inet', 'f2b-fw']);
  ns.run('nft', ['add', 'chain', 'inet', 'f2b-fw', 'mine']);
  const before = rulesetJson(ns);
  await assert.rejects(agent.reconcile(both), (e: unknown) => {
    assert.ok(e instanceof AgentError);
    assert.equal(e.code, 'kernel');
    assert.match(e.message, /table inet f2b-fw exists but was not created by f2b-fw.*--force/s);
    return true;
  });
  assert.equal(rulesetJson(ns), before);
  const forced = await agent.reconcile(both, [], { force: true });
  assert.ok(forced.changes.some((c) => c.kind === 'marker'));
  assert.match(ruleset(ns), /chain mine/, 'a chain we do not own is left in place');
  assert.deepEqual((await agent.reconcile(both)).changes, []);
});

/** Runs the CLI inside `ns`; returns exit code and output. */
function cli(ns: Netns, args: string[]): { code: number; out: string; err: string } {
  try {
    const out = execFileSync('ip', ['netns', 'exec', ns.name, process.execPath, CLI_ENTRY, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return { code: 0, out, err: '' };
  } catch (e) {
    const x = e as { status: number; stdout: string; stderr: string };
    return { code: x.status, out: x.stdout, err: x.stderr };
  }
}

test('f2b-fw reconcile: applies the config, keeps kernel bans, a bad port changes nothing', async () => {
  const { ns, agent } = setup('rc5');
  const dir = mkdtempSync(join(tmpdir(), 'f2b-rc-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const conf = (extra: string) => writeFileSync(join(dir, 'jail.conf'),
    `[DEFAULT]\nenabled = false\npriority = filter - 10\n\n[sshd]\nenabled = true\nport = ssh\n\n${extra}`);
  conf('[web]\nenabled = true\nport = http,https\nhooks = input\nverdict = reject\n');
  // Its own database and socket: never the host's default ones (a daemon that ran here once left them).
  const own = ['--db', join(dir, 'f2b.sqlite3'), '--socket', join(dir, 'f2b.sock')];

  const dry = cli(ns, ['reconcile', '--config-dir', dir, '--dry-run', ...own]);
  assert.equal(dry.code, 0, dry.err);
  assert.match(dry.out, /dry run, nothing changed/);
  assert.doesNotMatch(ruleset(ns), /f2b-fw/);

  assert.equal(cli(ns, ['reconcile', '--config-dir', dir, ...own]).code, 0);
  await agent.ban([{ jail: 'sshd', addr: '192.0.2.9', expiresAt: Date.now() + 600_000 }, { jail: 'web', addr: '192.0.2.10', expiresAt: null }]);
  const again = cli(ns, ['reconcile', '--config-dir', dir, '--json', ...own]);
  assert.equal(again.code, 0, again.err);
  assert.deepEqual(JSON.parse(again.out).changes, []);

  conf('[web]\nenabled = false\n');
  const removed = cli(ns, ['reconcile', '--config-dir', dir, ...own]);
  assert.equal(removed.code, 0, removed.err);
  assert.doesNotMatch(ruleset(ns), /web/);
  assert.deepEqual((await agent.list()).map((b) => b.addr), ['192.0.2.9'], 'remaining jail keeps its ban');

  const before = rulesetJson(ns);
  conf('[web]\nenabled = true\nport = http,nosuchservice\n');
  const bad = cli(ns, ['reconcile', '--config-dir', dir, ...own]);
  assert.equal(bad.code, 3);
  assert.match(bad.err, /jail\.conf:\d+ \[web\] port = "http,nosuchservice": unknown service name "nosuchservice"/);
  assert.equal(rulesetJson(ns), before, 'kernel exactly as before');
});
