/**
 * A start without a ban database while the kernel holds bans (issue 10.2):
 * the database file deleted, or emptied, between two runs. The daemon adopts
 * the kernel's bans (with their remaining time) instead of removing them.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { DaemonHarness, jailSection } from './support/daemon-harness.js';
import { hostFirewallSnapshot } from './support/netns.js';

const hostBefore = hostFirewallSnapshot();
after(() => assert.equal(hostFirewallSnapshot(), hostBefore, 'the host firewall is untouched'));

const ADDRS = ['198.51.100.21', '198.51.100.22', '2001:db8:7::21'];

for (const [how, lose] of [
  ['deleted', (db: string) => { for (const f of [db, `${db}-wal`, `${db}-shm`]) rmSync(f, { force: true }); }],
  ['emptied', (db: string) => { for (const f of [`${db}-wal`, `${db}-shm`]) rmSync(f, { force: true }); writeFileSync(db, ''); }],
] as const) {
  test(`database ${how} between runs: the kernel's bans are adopted with their remaining time, not removed`, async () => {
    const h = new DaemonHarness(`adopt${how.slice(0, 3)}`, '');
    try {
      const logfile = h.path('auth.log');
      h.touch(logfile);
      h.config.write('jail.local', jailSection('ad', logfile, { bantime: '1h' }));
      await h.start();
      assert.equal((await h.cli(['ban', 'ad', ...ADDRS])).status, 0);
      const before = await h.cliJson<{ addr: string; expiresAt: number }[]>(['banned']);
      assert.equal(await h.signal('SIGTERM'), 0);
      lose(h.db);
      await h.start();
      const kernel = [...h.elements('ad'), ...h.elements('ad', 'v6')];
      assert.deepEqual(kernel.map((e) => e.addr).sort(), [...ADDRS].sort(), 'the kernel still holds every ban');
      assert.ok(kernel.every((e) => e.expires !== null && e.expires > 3400 && e.expires <= 3600), 'with their remaining time');
      const adopted = await h.cliJson<{ addr: string; expiresAt: number; reason: string }[]>(['banned']);
      assert.deepEqual(adopted.map((b) => b.addr).sort(), [...ADDRS].sort(), 'the store holds them again');
      for (const b of adopted) {
        const was = before.find((x) => x.addr === b.addr)!;
        assert.ok(Math.abs(b.expiresAt - was.expiresAt) < 5000, `${b.addr}: same expiry as before (${b.expiresAt} vs ${was.expiresAt})`);
        assert.match(b.reason, /adopted from the kernel/);
      }
      assert.equal(h.events('adopt')[0]?.adopted, 3, 'the adoption is logged');
    } finally {
      await h.destroy();
    }
  });
}
