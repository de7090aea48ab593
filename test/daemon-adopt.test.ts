/**
 * A start without a ban database while the kernel holds bans (issue 10.2):
 * the database file deleted, or emptied, between two runs. The daemon adopts
 * the kernel's bans (with their remaining time) instead of removing them, on
 * nftables and on the ipset + iptables backend (both iptables variants).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { DaemonHarness, jailSection } from './support/daemon-harness.js';
import { hostFirewallSnapshot } from './support/netns.js';
import { hostIptablesState, saveIn } from './support/iptables-ns.js';

const hostBefore = hostFirewallSnapshot();
const iptablesBefore = hostIptablesState();
after(() => {
  assert.equal(hostFirewallSnapshot(), hostBefore, 'the host firewall is untouched');
  assert.equal(hostIptablesState(), iptablesBefore, 'the host iptables and ipsets are untouched');
});

const ADDRS = ['198.51.100.21', '198.51.100.22', '2001:db8:7::21'];

/** The two ways a database goes missing between runs. */
const LOSE = {
  deleted: (db: string): void => { for (const f of [db, `${db}-wal`, `${db}-shm`]) rmSync(f, { force: true }); },
  emptied: (db: string): void => { for (const f of [`${db}-wal`, `${db}-shm`]) rmSync(f, { force: true }); writeFileSync(db, ''); },
};

type Banned = { addr: string; expiresAt: number; reason: string }[];

/** Asserts the store holds ADDRS again, adopted, each with the expiry it had in the first run. */
async function assertStoreAdopted(h: DaemonHarness, before: Banned): Promise<void> {
  const adopted = await h.cliJson<Banned>(['banned']);
  assert.deepEqual(adopted.map((b) => b.addr).sort(), [...ADDRS].sort(), 'the store holds them again');
  for (const b of adopted) {
    const was = before.find((x) => x.addr === b.addr)!;
    assert.ok(Math.abs(b.expiresAt - was.expiresAt) < 5000, `${b.addr}: same expiry as before (${b.expiresAt} vs ${was.expiresAt})`);
    assert.match(b.reason, /adopted from the kernel/);
  }
  assert.equal(h.events('adopt')[0]?.adopted, 3, 'the adoption is logged');
}

for (const how of ['deleted', 'emptied'] as const) {
  test(`database ${how} between runs: the kernel's bans are adopted with their remaining time, not removed`, async () => {
    const h = new DaemonHarness(`adopt${how.slice(0, 3)}`, '');
    try {
      const logfile = h.path('auth.log');
      h.touch(logfile);
      h.config.write('jail.local', jailSection('ad', logfile, { bantime: '1h' }));
      await h.start();
      assert.equal((await h.cli(['ban', 'ad', ...ADDRS])).status, 0);
      const before = await h.cliJson<Banned>(['banned']);
      assert.equal(await h.signal('SIGTERM'), 0);
      LOSE[how](h.db);
      await h.start();
      const kernel = [...h.elements('ad'), ...h.elements('ad', 'v6')];
      assert.deepEqual(kernel.map((e) => e.addr).sort(), [...ADDRS].sort(), 'the kernel still holds every ban');
      assert.ok(kernel.every((e) => e.expires !== null && e.expires > 3400 && e.expires <= 3600), 'with their remaining time');
      await assertStoreAdopted(h, before);
    } finally {
      await h.destroy();
    }
  });
}

/** Members of an ipset in the daemon's namespace with their remaining seconds. */
function members(h: DaemonHarness, set: string): { addr: string; timeout: number }[] {
  return h.ns.run('ipset', ['list', set]).split('\n')
    .map((l) => /^([0-9a-f.:]+) timeout (\d+)/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ addr: m[1]!, timeout: Number(m[2]) }));
}

// The second run has a longer bantime: a ban made afresh would show it, an adopted one keeps what was left.
for (const variant of ['nft', 'legacy'] as const) {
  for (const how of ['deleted', 'emptied'] as const) {
    test(`ipset backend, iptables-${variant}, database ${how} between runs: the ipsets' bans are adopted with their remaining time`, async () => {
      const h = new DaemonHarness(`ada${variant.slice(0, 1)}${how.slice(0, 1)}`, '');
      try {
        // The daemon writes the variant `iptables` points to: a PATH of its own picks it.
        const bin = h.path('bin');
        mkdirSync(bin);
        symlinkSync(`/usr/sbin/iptables-${variant}`, `${bin}/iptables`);
        h.env = { PATH: `${bin}:${process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin'}` };
        const logfile = h.path('auth.log');
        h.touch(logfile);
        h.config.write('jail.local', jailSection('ad', logfile, { bantime: '1h' }));
        await h.start(['--backend', 'ipset']);
        assert.equal((await h.cli(['ban', 'ad', ...ADDRS])).status, 0);
        const before = await h.cliJson<Banned>(['banned']);
        assert.equal(await h.signal('SIGTERM'), 0);
        const kept = [...members(h, 'f2b-ad'), ...members(h, 'f2b-ad-6')];
        assert.deepEqual(kept.map((m) => m.addr).sort(), [...ADDRS].sort(), 'the stopped daemon left its bans in the kernel');

        LOSE[how](h.db);
        h.config.write('jail.local', jailSection('ad', logfile, { bantime: '2h' }));
        await h.start(['--backend', 'ipset']);
        const kernel = [...members(h, 'f2b-ad'), ...members(h, 'f2b-ad-6')];
        assert.deepEqual(kernel.map((m) => m.addr).sort(), [...ADDRS].sort(), 'the kernel still holds every ban');
        for (const m of kernel) {
          const was = kept.find((k) => k.addr === m.addr)!;
          assert.ok(m.timeout <= was.timeout && m.timeout > 3400, `${m.addr}: remaining ${m.timeout} s, not the new bantime (was ${was.timeout} s)`);
        }
        await assertStoreAdopted(h, before);
        assert.match(saveIn(h.ns, variant), /-A INPUT .*-j f2b-ad/, `the jail's chain is jumped to in iptables-${variant}`);
        const other = variant === 'nft' ? 'legacy' : 'nft';
        assert.doesNotMatch(saveIn(h.ns, other), /f2b-ad/, `nothing written into iptables-${other}`);
      } finally {
        await h.destroy();
      }
    });
  }
}
