import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { DaemonHarness, jailSection } from './support/daemon-harness.js';
import { hostFirewallSnapshot, waitFor } from './support/netns.js';

const hostBefore = hostFirewallSnapshot();
after(() => assert.equal(hostFirewallSnapshot(), hostBefore, 'the host firewall is untouched'));

const attackers = (n: number, base: number): string[] => Array.from({ length: n }, (_, i) => `FAIL login from 203.0.113.${base + i}`);

/** A jail with maxelem 5 takes 8 attackers: 5 in the kernel, 8 in the store, one warning; the other jail is unaffected. */
async function fillBeyondMaxelem(backend: 'nftables' | 'ipset', members: (h: DaemonHarness, jail: string) => string[]): Promise<void> {
  const h = new DaemonHarness(`maxel-${backend.slice(0, 4)}`, '');
  try {
    const small = h.path('small.log');
    const other = h.path('other.log');
    h.touch(small);
    h.touch(other);
    h.config.write('jail.local', jailSection('small', small, { maxelem: '5' }) + jailSection('other', other));
    await h.start(['--backend', backend]);
    h.append(small, attackers(3, 10));
    assert.ok(await waitFor(() => members(h, 'small').length === 3, 5000));
    // One batch of five more, of which two fit; then one more, which does not.
    h.append(small, attackers(5, 20));
    assert.ok(await waitFor(() => h.events('set-full').length === 1, 5000), 'a full set is logged');
    h.append(small, attackers(1, 40));
    h.append(other, ['FAIL login from 198.51.100.7']);
    assert.ok(await waitFor(() => members(h, 'other').includes('198.51.100.7'), 5000), 'the other jail keeps banning');
    assert.ok(await waitFor(() => h.events('ban').filter((l) => l.jail === 'small').length === 9, 5000));
    assert.equal(members(h, 'small').length, 5, 'the kernel set holds maxelem elements');
    const full = h.events('set-full');
    assert.equal(full.length, 1, 'logged once per jail');
    assert.equal(full[0]!.jail, 'small');
    assert.equal(full[0]!.skipped, 3);
    assert.equal(full[0]!.maxelem, 5);
    const status = await h.cliJson<{ currentlyBanned: number }>(['status', 'small']);
    assert.equal(status.currentlyBanned, 9, 'every ban is recorded in the store');
    assert.equal(h.events('repair').length, 0, 'no failed batch, nothing to repair');
    // A reconcile keeps the set at maxelem instead of failing on the store's nine bans.
    const rec = await h.cli(['reconcile']);
    assert.equal(rec.status, 0, rec.stderr);
    assert.equal(members(h, 'small').length, 5);
  } finally {
    await h.destroy();
  }
}

test('nftables: a set at its maxelem skips new elements, logs once, never fails a batch', async () => {
  await fillBeyondMaxelem('nftables', (h, jail) => h.elements(jail).map((e) => e.addr));
});

test('ipset: a set at its maxelem skips new elements, logs once, never fails a batch', async () => {
  await fillBeyondMaxelem('ipset', (h, jail) => {
    const set = jail === 'small' ? 'f2b-small' : 'f2b-other';
    return h.ns.run('ipset', ['list', set]).split('\n').filter((l) => /^[0-9a-f.:]+ timeout/.test(l)).map((l) => l.split(' ')[0]!);
  });
});
