import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { DaemonHarness, jailSection } from './support/daemon-harness.js';
import { hostFirewallSnapshot, waitFor } from './support/netns.js';

const hostBefore = hostFirewallSnapshot();
after(() => assert.equal(hostFirewallSnapshot(), hostBefore, 'the host firewall is untouched'));

test('reload with a jail added and one removed keeps the bans of the others', async () => {
  const h = new DaemonHarness('reload', '');
  try {
    const [a, b, c] = ['a.log', 'b.log', 'c.log'].map((f) => h.path(f));
    for (const f of [a!, b!, c!]) h.touch(f);
    h.config.write('jail.local', jailSection('alpha', a!, { bantime: '1h' }) + jailSection('beta', b!));
    await h.start();
    h.append(a!, ['FAIL login from 203.0.113.1']);
    h.append(b!, ['FAIL login from 203.0.113.2']);
    assert.ok(await waitFor(() => h.elements('alpha').length === 1 && h.elements('beta').length === 1, 5000));
    const alphaBefore = h.elements('alpha')[0]!.expires!;

    // SIGHUP: beta removed, gamma added.
    h.config.write('jail.local', jailSection('alpha', a!, { bantime: '1h' }) + jailSection('gamma', c!));
    h.child!.kill('SIGHUP');
    assert.ok(await waitFor(() => h.events('reload').length === 1, 5000), 'reloaded');
    const reload = h.events('reload')[0]!;
    assert.deepEqual([reload.added, reload.removed, reload.kept], [['gamma'], ['beta'], ['alpha']]);
    assert.deepEqual(h.elements('alpha').map((e) => e.addr), ['203.0.113.1'], 'alpha keeps its ban');
    assert.ok(Math.abs(h.elements('alpha')[0]!.expires! - alphaBefore) < 30, 'with its remaining time');
    assert.deepEqual(h.elements('beta'), [], 'beta is gone from the kernel');
    h.append(c!, ['FAIL login from 198.51.100.3']);
    h.append(b!, ['FAIL login from 198.51.100.4']);
    assert.ok(await waitFor(() => h.elements('gamma').some((e) => e.addr === '198.51.100.3'), 5000), 'the new jail bans');
    h.append(a!, ['FAIL login from 198.51.100.5']);
    assert.ok(await waitFor(() => h.elements('alpha').length === 2, 5000), 'the kept jail still follows its log');
    assert.deepEqual(h.elements('beta'), [], 'the removed jail no longer reads its log');

    const status = await h.cliJson<{ jails: string[] }>(['status']);
    assert.deepEqual([...status.jails].sort(), ['alpha', 'gamma']);
    const hist = await h.cliJson<{ jail: string; endedAt: number | null }[]>(['history', '203.0.113.2']);
    assert.equal(hist.length, 1);
    assert.ok(hist[0]!.endedAt !== null, 'the removed jail\'s ban stays in history, ended');

    // A broken config is refused and changes nothing.
    h.config.write('jail.local', jailSection('alpha', a!, { bantime: 'soon' }));
    const bad = await h.cli(['reload']);
    assert.notEqual(bad.status, 0);
    assert.match(bad.stderr, /bantime/);
    assert.deepEqual((await h.cliJson<{ jails: string[] }>(['status'])).jails.sort(), ['alpha', 'gamma']);
    assert.equal(h.elements('alpha').length, 2);

    // `reload alpha` re-reads alpha only: a jail added to the files meanwhile waits for a full reload.
    h.touch(h.path('d.log'));
    h.config.write('jail.local', jailSection('alpha', a!, { bantime: '2h' }) + jailSection('gamma', c!) + jailSection('delta', h.path('d.log')));
    const one = await h.cliJson<{ added: string[]; removed: string[]; kept: string[] }>(['reload', 'alpha']);
    assert.deepEqual([one.added, one.removed, [...one.kept].sort()], [[], [], ['alpha', 'gamma']]);
    assert.equal((await h.cliJson<{ value: number }>(['get', 'alpha', 'bantime'])).value, 7200);
    assert.equal(h.elements('alpha').length, 2, 'alpha keeps its bans');
    assert.equal(h.elements('gamma').length, 1, 'gamma is untouched');
    assert.deepEqual(h.elements('delta'), [], 'delta is not created by a one-jail reload');
  } finally {
    await h.destroy();
  }
});
