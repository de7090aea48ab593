/**
 * `f2b-fw ban` refusals (issue 10.9) and honest refreshes (10.16), against a
 * real daemon on nftables in a namespace of its own.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { DaemonHarness, jailSection } from './support/daemon-harness.js';
import { hostFirewallSnapshot } from './support/netns.js';

const hostBefore = hostFirewallSnapshot();
after(() => assert.equal(hostFirewallSnapshot(), hostBefore, 'the host firewall is untouched'));

/** A daemon whose namespace has 192.0.2.1 and 2001:db8:5::1 on a veth inside it (its own addresses). */
async function guarded(label: string, fn: (h: DaemonHarness) => Promise<void>): Promise<void> {
  const h = new DaemonHarness(label, '');
  try {
    h.ns.run('ip', ['link', 'add', 'own0', 'type', 'veth', 'peer', 'name', 'own1']);
    h.ns.run('ip', ['addr', 'add', '192.0.2.1/24', 'dev', 'own0']);
    h.ns.run('ip', ['-6', 'addr', 'add', '2001:db8:5::1/64', 'dev', 'own0', 'nodad']);
    for (const dev of ['own0', 'own1']) h.ns.run('ip', ['link', 'set', dev, 'up']);
    const logfile = h.path('auth.log');
    h.touch(logfile);
    h.config.write('jail.local', jailSection('g', logfile, { ignoreip: '203.0.113.5 198.51.100.128/25', ignoreself: 'false' }));
    await h.start();
    await fn(h);
  } finally {
    await h.destroy();
  }
}

const inKernel = (h: DaemonHarness): string[] => [...h.elements('g'), ...h.elements('g', 'v6'), ...h.elements('g', 'v4-net'), ...h.elements('g', 'v6-net')].map((e) => e.addr);

test('ban refuses every-address prefixes and loopback, also with --force; nothing of the request is banned', async () => {
  await guarded('bguard', async (h) => {
    for (const addr of ['0.0.0.0/0', '::/0', '127.0.0.1', '::1', '127.0.0.0/8', '0.0.0.0/1', '::ffff:127.0.0.1']) {
      for (const force of [[], ['--force']]) {
        const r = await h.cli(['ban', 'g', '198.51.100.9', addr, ...force]);
        assert.equal(r.status, 1, `${addr} ${force.join('')} refused`);
        assert.match(r.stderr, /every address|loopback/, `${addr}: says why`);
        assert.match(r.stderr, /also with --force/);
      }
    }
    assert.deepEqual(inKernel(h), [], 'the good address of a refused request is not banned either');
    assert.deepEqual(await h.cliJson(['banned']), []);
  });
});

test('ban refuses ignoreip and the host\'s own addresses unless --force', async () => {
  await guarded('bown', async (h) => {
    for (const addr of ['203.0.113.5', '198.51.100.200', '192.0.2.1', '2001:db8:5::1', '192.0.2.0/24']) {
      const r = await h.cli(['ban', 'g', addr]);
      assert.equal(r.status, 1, `${addr} refused`);
      assert.match(r.stderr, /ignoreip|address of this host/, `${addr}: says why`);
      assert.match(r.stderr, /--force bans it anyway/);
    }
    assert.deepEqual(inKernel(h), []);
    const forced = await h.cli(['ban', 'g', '203.0.113.5', '192.0.2.1', '--force']);
    assert.equal(forced.status, 0, forced.stderr);
    assert.deepEqual(inKernel(h).sort(), ['192.0.2.1', '203.0.113.5']);
    const fine = await h.cli(['ban', 'g', '198.51.100.9']);
    assert.equal(fine.status, 0, 'an ordinary address is banned as before');
  });
});

test('ban of an address already banned extends store and kernel timeout to the bantime from now, and says so; a longer ban is kept', async () => {
  await guarded('brefresh', async (h) => {
    assert.equal((await h.cli(['ban', 'g', '198.51.100.7'])).status, 0);
    const first = h.elements('g').find((e) => e.addr === '198.51.100.7')!;
    assert.ok(first.expires! <= 600 && first.expires! > 500, `10 m ban in the kernel (${first.expires} s)`);
    assert.equal((await h.cli(['set', 'g', 'bantime', '1h'])).status, 0);
    const again = await h.cli(['ban', 'g', '198.51.100.7']);
    assert.equal(again.status, 0);
    assert.match(again.stdout, /198\.51\.100\.7 already banned, ban extended until /);
    const extended = h.elements('g').find((e) => e.addr === '198.51.100.7')!;
    assert.ok(extended.expires! > 3500, `the kernel timeout was refreshed to 1 h (${extended.expires} s)`);
    const [stored] = await h.cliJson<{ expiresAt: number }[]>(['banned', '198.51.100.7']);
    assert.ok(stored!.expiresAt > Date.now() + 3_500_000, 'the store holds the new expiry');
    assert.equal((await h.cli(['set', 'g', 'bantime', '5m'])).status, 0);
    const shorter = await h.cli(['ban', 'g', '198.51.100.7']);
    assert.match(shorter.stdout, /already banned, kept: already banned until /);
    assert.ok(h.elements('g').find((e) => e.addr === '198.51.100.7')!.expires! > 3400, 'a shorter re-ban does not shorten it');
    const json = await h.cliJson<{ refreshed: { addr: string; extended: boolean }[] }>(['ban', 'g', '198.51.100.7']);
    assert.deepEqual(json.refreshed.map((r) => [r.addr, r.extended]), [['198.51.100.7', false]]);
  });
});
