import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadDaemonSettings } from '../src/config/daemon-conf.js';
import { ConfigError } from '../src/core/errors.js';
import { FLEET_DEFAULTS } from '../src/core/defaults.js';
import { checkEntry } from '../src/fleet/validate.js';
import { fleetOrigin, fleetReason } from '../src/fleet/protocol.js';
import { tempConfigDir } from './support/config-files.js';
import { LatencyHistogram, renderMetrics } from '../src/daemon/metrics.js';

function fleetOf(conf: string, local?: string) {
  const dir = tempConfigDir({ 'f2b-fw.conf': conf, ...(local === undefined ? {} : { 'f2b-fw.local': local }) });
  try {
    return loadDaemonSettings(dir.dir).fleet;
  } finally {
    dir.remove();
  }
}

function refused(conf: string, pattern: RegExp): void {
  assert.throws(() => fleetOf(conf), (e: unknown) => e instanceof ConfigError && pattern.test(e.message), conf);
}

test('[Fleet]: absent means no fleet; url alone gives the documented defaults', () => {
  assert.equal(fleetOf('[Definition]\nloglevel = info\n'), undefined);
  const f = fleetOf('[Fleet]\nurl = redis://192.0.2.1:6379\n')!;
  assert.equal(f.prefix, FLEET_DEFAULTS.prefix);
  assert.equal(f.jail, 'fleet');
  assert.equal(f.maxPrefixV4, 24);
  assert.equal(f.maxPrefixV6, 48);
  assert.ok(f.share.matches('sshd') && f.accept.matches('anything'));
  assert.match(f.node, /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/);
});

test('[Fleet]: every key read, .local overrides, globs in share/accept, unix:// and passwords hidden', () => {
  const f = fleetOf('[Fleet]\nurl = redis://u:s3cret@192.0.2.1:6380/2\nnode = router1\nshare = sshd, web-*\naccept = sshd\njail = shared\nmax_prefix_v4 = 28\nmax_prefix_v6 = 64\nprefix = lab:\nstream_maxlen = 500\n', '[Fleet]\nmax_prefix_v4 = 30\n')!;
  assert.equal(f.displayUrl, 'redis://u:***@192.0.2.1:6380/2');
  assert.deepEqual([f.node, f.jail, f.maxPrefixV4, f.maxPrefixV6, f.prefix, f.streamMaxLen], ['router1', 'shared', 30, 64, 'lab:', 500]);
  assert.ok(f.share.matches('web-1') && !f.share.matches('postfix'));
  assert.ok(f.accept.matches('sshd') && !f.accept.matches('web-1'));
  const u = fleetOf('[Fleet]\nurl = unix:///run/redis/redis.sock?db=3&user=f2b&password=pw\n')!;
  assert.deepEqual(u.target, { kind: 'unix', path: '/run/redis/redis.sock', db: 3, username: 'f2b', password: 'pw' });
  assert.equal(u.displayUrl, 'unix:///run/redis/redis.sock?db=3&user=f2b&password=***');
});

test('[Fleet]: bad values are refused with file, section, key and value, never the password', () => {
  refused('[Fleet]\nurl = http://192.0.2.1\n', /f2b-fw\.conf:2 \[Fleet\] url = "http:\/\/192\.0\.2\.1.*scheme must be/);
  assert.throws(() => fleetOf('[Fleet]\nurl = ftp://u:topsecret@host\n'), (e: Error) => !e.message.includes('topsecret') && /u:\*\*\*@/.test(e.message));
  refused('[Fleet]\nurl = unix://relative.sock\n', /absolute socket path/);
  refused('[Fleet]\nurl = redis://192.0.2.1\nmax_prefix_v4 = 33\n', /max_prefix_v4 = "33".*0-32/);
  refused('[Fleet]\nurl = redis://192.0.2.1\nmax_prefix_v6 = -1\n', /max_prefix_v6/);
  refused('[Fleet]\nurl = redis://192.0.2.1\nnode = bad name!\n', /node = "bad name!"/);
  refused('[Fleet]\nurl = redis://192.0.2.1\njail = ../x\n', /jail = "\.\.\/x"/);
  refused('[Fleet]\nurl = redis://192.0.2.1\nshare = ssh;d\n', /share/);
  refused('[Fleet]\nurl = redis://192.0.2.1\nprefix = a b\n', /prefix/);
  refused('[Fleet]\nurl = redis://192.0.2.1\nstream_maxlen = 0\n', /stream_maxlen/);
  refused('[Fleet]\nurl = redis://192.0.2.1\ncolour = blue\n', /colour.*unknown key/);
  refused('[Fleet]\nnode = a\n', /has no url/);
  refused('[Fleet]\nurl = redis://192.0.2.1\ntls_ca = /nonexistent.pem\n', /TLS files need a rediss:\/\/ url/);
  refused('[Fleet]\nurl = rediss://192.0.2.1\ntls_ca = /nonexistent/ca.pem\n', /tls_ca = "\/nonexistent\/ca\.pem".*cannot read/);
});

const limits = { maxPrefixV4: 24, maxPrefixV6: 48 };
const now = 1_800_000_000_000;
const good = { op: 'ban', jail: 'sshd', addr: '203.0.113.5', expiresAt: String(now + 600_000), node: 'router1', reason: 'maxretry reached', id: 'router1/1' };

test('entries: a good one is canonicalised; each kind of bad one is refused with its reason', () => {
  const ok = checkEntry({ ...good, addr: '2001:DB8:0::1' }, limits, now);
  assert.equal(ok.kind, 'ok');
  assert.equal(ok.kind === 'ok' && ok.entry.addr, '2001:db8::1');
  assert.equal(checkEntry({ ...good, expiresAt: 'never' }, limits, now).kind, 'ok');
  assert.equal(checkEntry({ ...good, addr: '203.0.113.0/24' }, limits, now).kind, 'ok');
  assert.equal(checkEntry({ ...good, expiresAt: String(now - 1) }, limits, now).kind, 'expired');
  const cases: [Record<string, unknown> | unknown, RegExp][] = [
    [{ ...good, addr: '0.0.0.0/0' }, /wider than max_prefix_v4/],
    [{ ...good, addr: '::/0' }, /wider than max_prefix_v6/],
    [{ ...good, addr: '203.0.0.0/8' }, /\/8 is wider/],
    [{ ...good, addr: '127.0.0.1' }, /loopback/],
    [{ ...good, addr: '224.0.0.1' }, /multicast/],
    [{ ...good, addr: '::' }, /unspecified/],
    [{ ...good, addr: 'example.org' }, /not an address/],
    [{ ...good, op: 'drop' }, /neither ban nor unban/],
    [{ ...good, jail: '../etc' }, /not a jail name/],
    [{ ...good, node: 'x'.repeat(65) }, /not a node name/],
    [{ ...good, id: 'a b' }, /not a ban id/],
    [{ ...good, expiresAt: '1e20' }, /not a time/],
    [{ ...good, expiresAt: String(now + 11 * 365 * 86_400_000) }, /10 years/],
    [{ ...good, reason: 'A'.repeat(1_048_576) }, /reason is 1048576 bytes/],
    [{ addr: '203.0.113.5' }, /field op missing/],
    [Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`f${i}`, 'x'])), /17 fields/],
    ['a string', /not a set of fields/],
    [null, /not a set of fields/],
  ];
  for (const [raw, why] of cases) {
    const c = checkEntry(raw, limits, now);
    assert.equal(c.kind, 'refused', JSON.stringify(raw)?.slice(0, 80));
    assert.match(c.kind === 'refused' ? c.reason : '', why);
  }
  const ctl = checkEntry({ ...good, reason: 'line\n[sshd] Ban 192.0.2.1' }, limits, now);
  assert.equal(ctl.kind === 'ok' && ctl.entry.reason, 'line [sshd] Ban 192.0.2.1', 'control characters cannot forge log lines');
});

test('a received ban\'s reason names its node and jail; local reasons have no fleet origin', () => {
  assert.deepEqual(fleetOrigin(fleetReason('router1', 'sshd')), { node: 'router1', jail: 'sshd' });
  assert.equal(fleetOrigin('maxretry reached'), null);
  assert.equal(fleetOrigin('manual'), null);
});

test('/metrics carries the fleet\'s series when a fleet is configured', () => {
  const base = { jails: [], repairsTotal: 0, kernel: new LatencyHistogram() };
  assert.ok(!renderMetrics(base).includes('f2b_fw_fleet_'));
  const text = renderMetrics({ ...base, fleet: { url: 'redis://h', node: 'a', connected: true, downSince: null, lastError: null, lagMs: 1500, queued: 3, sent: 7, received: 5, refused: 2, catchUps: 1 } });
  for (const line of ['f2b_fw_fleet_connected 1', 'f2b_fw_fleet_sent_total 7', 'f2b_fw_fleet_received_total 5', 'f2b_fw_fleet_refused_total 2', 'f2b_fw_fleet_queued 3', 'f2b_fw_fleet_lag_seconds 1.5']) {
    assert.ok(text.split('\n').includes(line), line);
  }
});
