import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApiError } from '../src/daemon/api.js';
import { tempConfigDir } from './support/config-files.js';
import { jailSection } from './support/daemon-harness.js';
import { startInProcess } from './support/inproc-daemon.js';
import { waitFor } from './support/netns.js';
import { parseMetricsAddress } from '../src/daemon/metrics.js';
import { fetchUnix } from './support/fetch-unix.js';

/** An in-process daemon on the null backend with a clock the test moves. */
function start(jails: (dir: string) => string, daemonConf = '') {
  return startInProcess(jails, { daemonConf });
}

async function rejects(p: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(p, (e: unknown) => e instanceof ApiError && e.code === code);
}

test('manual ban/unban through the API: canonical addresses, prefixes, already-banned, unknown jail and bad address refused', async () => {
  const t = await start((dir) => jailSection('sshd', join(dir, 'a.log'), { bantime: '1h' }) + jailSection('web', join(dir, 'b.log')));
  try {
    const r = await t.daemon.ban('sshd', ['2001:DB8::0:1', '203.0.113.7', '198.51.100.0/24']);
    assert.deepEqual([...r.banned].sort(), ['198.51.100.0/24', '2001:db8::1', '203.0.113.7']);
    assert.deepEqual((await t.daemon.ban('sshd', ['203.0.113.7'])).already, ['203.0.113.7']);
    assert.deepEqual((await t.driver.list('sshd')).map((b) => b.addr).sort(), ['198.51.100.0/24', '2001:db8::1', '203.0.113.7']);
    await rejects(t.daemon.ban('nope', ['203.0.113.7']), 'unknown-jail');
    await rejects(t.daemon.ban('sshd', ['203.0.113.300']), 'bad-address');
    await rejects(t.daemon.ban('sshd', ['2001:db8::g']), 'bad-address');

    const holding = await t.daemon.banned('198.51.100.42');
    assert.deepEqual(holding.map((b) => b.addr), ['198.51.100.0/24'], 'an address is reported under the prefix that covers it');
    await t.daemon.ban('web', ['203.0.113.7']);
    const un = await t.daemon.unban(undefined, ['203.0.113.7', '192.0.2.99']);
    assert.deepEqual(un.unbanned.map((k) => k.jail).sort(), ['sshd', 'web'], 'unban without a jail frees the address everywhere');
    assert.deepEqual(un.notBanned, ['192.0.2.99']);
    const all = await t.daemon.unban('sshd', 'all');
    assert.equal(all.unbanned.length, 2);
    assert.deepEqual(await t.driver.list('sshd'), []);
    const hist = await t.daemon.history('203.0.113.7');
    assert.equal(hist.length, 2);
    assert.ok(hist.every((h) => h.endedAt !== null && h.reason === 'manual'));
    assert.ok(t.lines.some((l) => l.event === 'dry-run-release' && l.jail === 'web' && l.addr === '203.0.113.7'));
  } finally {
    await t.close();
  }
});

test('get/set change a running jail; status counts failures; bans expire from current into history', async () => {
  const t = await start((dir) => jailSection('sshd', join(dir, 'a.log'), { maxretry: '3', bantime: '10m' }));
  try {
    const logfile = join(t.cfg.dir, 'a.log');
    writeFileSync(logfile, '');
    assert.equal(await t.daemon.get('sshd', 'maxretry'), 3);
    assert.equal(await t.daemon.set('sshd', 'bantime', '1m'), 60);
    assert.equal(await t.daemon.set('sshd', 'maxretry', '2'), 2);
    assert.deepEqual(await t.daemon.set('sshd', 'addignoreip', '192.0.2.0/24'), ['192.0.2.0/24']);
    await rejects(t.daemon.set('sshd', 'maxretry', 'lots'), 'bad-value');
    await rejects(t.daemon.set('sshd', 'bantime', 'soon'), 'bad-value');
    await rejects(t.daemon.set('sshd', 'delignoreip', '198.51.100.1'), 'bad-value');
    await rejects(t.daemon.get('sshd', 'frobs' as never), 'bad-key');

    appendFileSync(logfile, 'FAIL login from 192.0.2.5\nFAIL login from 192.0.2.5\nFAIL login from 203.0.113.8\nFAIL login from 203.0.113.8\n');
    assert.ok(await waitFor(async () => (await t.daemon.banned()).length === 1, 5000), 'maxretry 2 bans, ignoreip spares 192.0.2.5');
    const st = await t.daemon.status('sshd');
    assert.deepEqual([st.currentlyBanned, st.totalBanned, st.bannedList], [1, 1, ['203.0.113.8']]);
    assert.equal(st.totalFailed, 4);
    const [ban] = await t.daemon.banned();
    assert.equal(ban!.expiresAt! - ban!.bannedAt, 60_000, 'the bantime set at run time applies');
    assert.equal(ban!.matches.length, 2, 'the lines behind the ban are kept');

    t.advance(61_000);
    await new Promise((r) => setTimeout(r, 1200)); // the 1 s expiry sweep
    assert.deepEqual(await t.daemon.banned(), []);
    assert.ok(t.lines.some((l) => l.msg === '[sshd] Unban 203.0.113.8' && l.reason === 'expired'));
    const [h] = await t.daemon.history('203.0.113.8');
    assert.equal(h!.endedAt, null, 'a ban that ran its course has no early end');
    const overview = await t.daemon.status();
    assert.deepEqual([overview.jails, overview.currentlyBanned, overview.backend], [['sshd'], 0, 'null']);
    await t.daemon.stop();
    await new Promise((r) => setImmediate(r));
    assert.ok(t.stopRequested());
  } finally {
    await t.close();
  }
});

test('metrics (opt-in) on a unix socket: bans, failures, lines, kernel latency; public addresses refused', async () => {
  assert.throws(() => parseMetricsAddress('0.0.0.0:9191'), /only served on a loopback address/);
  assert.throws(() => parseMetricsAddress('9191'), /HOST:PORT/);
  assert.throws(() => parseMetricsAddress('127.0.0.1:65536'), /port 65536 is out of range \(1-65535\)/, 'the one port reader');
  assert.throws(() => parseMetricsAddress('127.0.0.1:0'), /out of range/);
  assert.deepEqual(parseMetricsAddress('[::1]:9191'), { host: '::1', port: 9191 });
  const sockDir = tempConfigDir();
  const sock = join(sockDir.dir, 'metrics.sock');
  const t = await start((dir) => jailSection('sshd', join(dir, 'a.log')), `metrics = ${sock}\n`);
  try {
    const logfile = join(t.cfg.dir, 'a.log');
    writeFileSync(logfile, '');
    appendFileSync(logfile, 'hello\nFAIL login from 203.0.113.9\n');
    assert.ok(await waitFor(async () => (await t.daemon.banned()).length === 1, 5000));
    const m = await fetchUnix(sock, '/metrics');
    assert.equal(m.status, 200);
    assert.match(m.body, /^f2b_fw_banned\{jail="sshd"\} 1$/m);
    assert.match(m.body, /^f2b_fw_bans_total\{jail="sshd"\} 1$/m);
    assert.match(m.body, /^f2b_fw_failures_total\{jail="sshd"\} 1$/m);
    assert.match(m.body, /^f2b_fw_lines_read_total\{jail="sshd"\} 2$/m);
    assert.match(m.body, /^f2b_fw_slow_lines_total\{jail="sshd"\} 0$/m, 'the match-time guard counter is exported');
    assert.match(m.body, /^f2b_fw_kernel_transaction_seconds_count [1-9]\d*$/m);
    assert.match(m.body, /^f2b_fw_repairs_total 0$/m);
    assert.equal((await fetchUnix(sock, '/')).status, 404);
  } finally {
    await t.close();
    sockDir.remove();
  }
});

test('bantime.increment: a repeat offender (manual or from the log) is banned for longer, using the store\'s history', async () => {
  const t = await start((dir) => jailSection('inc', join(dir, 'a.log'), { bantime: '1m', 'bantime.increment': 'true' }));
  try {
    await t.daemon.ban('inc', ['203.0.113.5']);
    const [first] = await t.daemon.banned('203.0.113.5');
    assert.equal(first!.expiresAt! - first!.bannedAt, 60_000);
    await t.daemon.unban('inc', ['203.0.113.5']);
    await t.daemon.ban('inc', ['203.0.113.5']);
    const [second] = await t.daemon.banned('203.0.113.5');
    assert.equal(second!.banCount, 2);
    assert.equal(second!.expiresAt! - second!.bannedAt, 120_000, 'doubled for the second ban');
  } finally {
    await t.close();
  }
});
