/**
 * fail2ban's flush and removed actions, on real daemons in namespaces with real /bin/sh actions:
 * - `unban --all` and `on_stop = flush` run an action's `actionflush` once (after its pending bans,
 *   as a barrier in the outbox), and `actionunban` per ban for an action without one;
 * - a reload that removes an action delivers what it still has queued, lifts its bans (unban per
 *   ban) and only then runs its actionstop; entries of an action no longer configured at start are
 *   dropped with one line naming the action and the count.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { DaemonHarness, jailSection } from './support/daemon-harness.js';
import { waitFor } from './support/netns.js';

const lines = (file: string): string[] => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : []);
const addrs = (n: number, base = 10): string[] => Array.from({ length: n }, (_, i) => `198.51.100.${base + i}`);

/** An action writing each operation as a line to `out`; `slow` makes its actionban take that many seconds. */
function action(out: string, opts: { flush?: boolean; slow?: number } = {}): string {
  const wait = opts.slow ? `sleep ${opts.slow}; ` : '';
  return `[Definition]\nactionstart = echo start >> ${out}\nactionstop = echo stop >> ${out}\n`
    + `actionban = ${wait}echo "ban <ip>" >> ${out}\nactionunban = echo "unban <ip>" >> ${out}\n`
    + (opts.flush ? `actionflush = echo "flush <family>" >> ${out}\n` : '');
}

async function banned(d: DaemonHarness, log: string, list: readonly string[]): Promise<void> {
  d.append(log, list.map((a) => `FAIL login from ${a}`));
  assert.ok(await waitFor(() => list.every((a) => d.elements('web').some((e) => e.addr === a)), 20_000), 'bans in the kernel');
}

test('unban --all: actionflush once, after the bans still running; an action without actionflush gets an unban per ban', async () => {
  const d = new DaemonHarness('aflush', jailSection('web', '/tmp/none'), {});
  try {
    const log = d.path('web.log');
    const flushOut = d.path('flush.out');
    const plainOut = d.path('plain.out');
    d.config.write('action.d/withflush.conf', action(flushOut, { flush: true, slow: 1 }));
    d.config.write('action.d/plain.conf', action(plainOut));
    d.config.write('jail.local', jailSection('web', log, { action: 'withflush\n  plain', bantime: '1h' }));
    d.touch(log);
    await d.start();
    const list = addrs(3);
    await banned(d, log, list);
    // The flushing action's bans take a second each: the flush is queued while they run.
    assert.equal((await d.cli(['unban', 'web', '--all'])).status, 0);
    assert.ok(await waitFor(() => lines(flushOut).some((l) => l.startsWith('flush')), 20_000), `actionflush ran: ${lines(flushOut).join(' | ')}`);
    assert.ok(await waitFor(() => lines(plainOut).filter((l) => l.startsWith('unban')).length === 3, 20_000), 'one actionunban per ban without actionflush');
    const f = lines(flushOut);
    assert.deepEqual(f.filter((l) => l.startsWith('flush')), ['flush inet4'], 'one flush, for the family of the bans');
    assert.equal(f.filter((l) => l.startsWith('unban')).length, 0, 'no per-ban unban where actionflush exists');
    assert.equal(f.filter((l) => l.startsWith('ban')).length, 3);
    assert.ok(f.indexOf('flush inet4') > Math.max(...list.map((a) => f.indexOf(`ban ${a}`))), `the flush came after every pending ban: ${f.join(' | ')}`);
    const p = lines(plainOut);
    for (const a of list) assert.ok(p.indexOf(`unban ${a}`) > p.indexOf(`ban ${a}`), `unban of ${a} after its ban`);
    // A ban after the flush is delivered after it.
    await banned(d, log, ['198.51.100.99']);
    assert.ok(await waitFor(() => lines(flushOut).at(-1) === 'ban 198.51.100.99', 20_000), 'a later ban is delivered after the flush');
  } finally {
    await d.destroy();
  }
});

test('on_stop = flush: the stop runs actionflush (unban per ban without one) before actionstop', async () => {
  const d = new DaemonHarness('astopf', jailSection('web', '/tmp/none'), { 'f2b-fw.conf': '[Definition]\non_stop = flush\n' });
  try {
    const log = d.path('web.log');
    const flushOut = d.path('flush.out');
    const plainOut = d.path('plain.out');
    d.config.write('action.d/withflush.conf', action(flushOut, { flush: true }));
    d.config.write('action.d/plain.conf', action(plainOut));
    d.config.write('jail.local', jailSection('web', log, { action: 'withflush\n  plain', bantime: '1h' }));
    d.touch(log);
    await d.start();
    const list = addrs(2, 40);
    await banned(d, log, list);
    assert.ok(await waitFor(() => lines(flushOut).filter((l) => l.startsWith('ban')).length === 2 && lines(plainOut).filter((l) => l.startsWith('ban')).length === 2, 20_000));
    assert.equal(await d.signal('SIGTERM'), 0);
    assert.deepEqual(lines(flushOut).slice(-2), ['flush inet4', 'stop'], lines(flushOut).join(' | '));
    const p = lines(plainOut);
    assert.equal(p.at(-1), 'stop');
    assert.deepEqual(p.filter((l) => l.startsWith('unban')).sort(), list.map((a) => `unban ${a}`).sort());
  } finally {
    await d.destroy();
  }
});

test('a reload that removes an action: its queue is delivered, its bans are lifted, then its actionstop; at the next start leftovers are dropped with one line', async () => {
  const d = new DaemonHarness('arm', jailSection('web', '/tmp/none'), {});
  try {
    const log = d.path('web.log');
    const keptOut = d.path('kept.out');
    const goneOut = d.path('gone.out');
    d.config.write('action.d/kept.conf', action(keptOut));
    d.config.write('action.d/gone.conf', action(goneOut, { slow: 1 }));
    d.config.write('jail.local', jailSection('web', log, { action: 'kept\n  gone', bantime: '1h' }));
    d.touch(log);
    await d.start();
    const list = addrs(6, 60);
    await banned(d, log, list);
    // Reload while `gone` still has bans queued (4 at once, a second each).
    d.config.write('jail.local', jailSection('web', log, { action: 'kept', bantime: '1h' }));
    assert.equal((await d.cli(['reload'])).status, 0);
    const removed = d.logs.find((l) => /action gone removed by the reload: delivering its \d+ queued/.test(l.msg));
    assert.ok(removed && (removed.queued as number) > 0, `the reload says what the removed action still delivers: ${removed?.msg}`);
    assert.ok(await waitFor(() => lines(goneOut).at(-1) === 'stop', 30_000), `actionstop last: ${lines(goneOut).join(' | ')}`);
    const g = lines(goneOut);
    assert.equal(g.filter((l) => l === 'stop').length, 1, 'stopped once, after its queue');
    for (const a of list) {
      assert.equal(g.filter((l) => l === `ban ${a}`).length, 1, `queued ban of ${a} delivered once`);
      assert.ok(g.indexOf(`unban ${a}`) > g.indexOf(`ban ${a}`), `${a} lifted after its ban`);
    }
    // Logged just before the actionstop runs; the log pipe may deliver it after the file shows 'stop'.
    assert.ok(await waitFor(() => d.logs.some((l) => l.msg === '[web] removed action gone delivered its queue and stops'), 10_000));
    assert.equal(lines(keptOut).filter((l) => l.startsWith('unban')).length, 0, 'the kept action keeps its bans');

    // Cut a drain short: a removed action whose bans fail (retried later) when the daemon is killed.
    d.config.write('action.d/stuck.conf', '[Definition]\nactionban = exit 3\nactionunban = exit 3\n');
    d.config.write('jail.local', jailSection('web', log, { action: 'kept\n  stuck', bantime: '1h' }));
    assert.equal((await d.cli(['reload'])).status, 0);
    await banned(d, log, addrs(2, 90));
    d.config.write('jail.local', jailSection('web', log, { action: 'kept', bantime: '1h' }));
    assert.equal((await d.cli(['reload'])).status, 0);
    await d.signal('SIGKILL');
    await d.start();
    const dropped = d.logs.find((l) => l.event === 'actions' && l.channel === 'action:web:stuck');
    assert.ok(dropped, 'one line names the action no longer configured');
    assert.ok((dropped.dropped as number) >= 2, `with its count: ${dropped.msg}`);
    assert.match(dropped.msg, /action web stuck is no longer configured: \d+ queued entr(y|ies) dropped undelivered/);
  } finally {
    await d.destroy();
  }
});

test('a reload that removes a jail: its action flushes the jail\'s bans (actionflush), then actionstop', async () => {
  const d = new DaemonHarness('arj', jailSection('web', '/tmp/none'), {});
  try {
    const log = d.path('web.log');
    const otherLog = d.path('other.log');
    const out = d.path('other.out');
    // fail2ban runs a family's flush once per distinct command: a separate IPv6 command runs too.
    d.config.write('action.d/withflush.conf', `${action(out).replace('actionban', `actionflush = echo "<flushword> <family>" >> ${out}\nactionban`)}`
      + '[Init]\nflushword = flush\n[Init?family=inet6]\nflushword = flush6\n');
    const web = jailSection('web', log, { bantime: '1h' });
    d.config.write('jail.local', web + jailSection('other', otherLog, { action: 'withflush', bantime: '1h' }));
    d.touch(log);
    d.touch(otherLog);
    await d.start();
    d.append(otherLog, ['FAIL login from 2001:db8::7', 'FAIL login from 203.0.113.70']);
    assert.ok(await waitFor(() => lines(out).filter((l) => l.startsWith('ban')).length === 2, 20_000), 'both bans delivered');
    d.config.write('jail.local', web);
    assert.equal((await d.cli(['reload'])).status, 0);
    assert.ok(await waitFor(() => lines(out).at(-1) === 'stop', 20_000), lines(out).join(' | '));
    assert.deepEqual(lines(out).filter((l) => l.startsWith('flush')).sort(), ['flush inet4', 'flush6 inet6'], 'one flush per family of the jail\'s bans');
    assert.equal(lines(out).filter((l) => l.startsWith('unban')).length, 0);
  } finally {
    await d.destroy();
  }
});
