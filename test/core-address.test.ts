import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { appendFileSync, writeFileSync } from 'node:fs';
import { addressBytes, canonicalText, prefixLength } from '../src/core/address.js';
import { canonicalAddr } from '../src/daemon/address.js';
import { addrTarget } from '../src/fw/nft/names.js';
import { placement } from '../src/fw/ipset/elements.js';
import { addrToBytes, canonicalAddr as ipsetCanonical } from '../native/ipset/address.js';
import { IgnoreList, parseIgnoreEntry } from '../src/jail/ignore.js';
import { jailSection } from './support/daemon-harness.js';
import { startInProcess } from './support/inproc-daemon.js';

const pos = { file: 'jail.local', section: 't', key: 'ignoreip' };

test('one IPv4 rule on every path: leading zeros are decimal, never octal', () => {
  assert.equal(canonicalText('010.0.0.1'), '10.0.0.1');
  assert.equal(canonicalAddr('010.0.0.1'), '10.0.0.1', 'f2b-fw ban');
  assert.equal(addrTarget('010.0.0.1').text, '10.0.0.1', 'nftables element');
  assert.deepEqual(placement('sshd', '010.0.0.1').element, { addr: '10.0.0.1' }, 'ipset element');
  assert.equal(ipsetCanonical('010.0.0.1'), '10.0.0.1');
  assert.deepEqual([...addrToBytes('010.0.0.1')], [10, 0, 0, 1]);
  assert.equal(addrTarget('010.000.0.0/8').text, '10.0.0.0/8');
  const ignore = new IgnoreList([parseIgnoreEntry('010.0.0.0/8', pos)], []);
  assert.ok(ignore.has('10.1.2.3') && !ignore.has('8.0.0.1'), 'ignoreip');
});

test('canonical forms: RFC 5952, mapped IPv6 as IPv4, host bits cleared, garbage refused everywhere', () => {
  assert.equal(canonicalText('2001:DB8::0:1'), '2001:db8::1');
  assert.equal(canonicalText('::ffff:198.51.100.7'), '198.51.100.7');
  assert.equal(canonicalText('198.51.100.77/24'), '198.51.100.0/24');
  assert.equal(canonicalText('203.0.113.9/32'), '203.0.113.9');
  assert.equal(canonicalText('[2001:db8::5]'), '2001:db8::5');
  assert.deepEqual([...addressBytes('2001:db8::1')!].slice(0, 4), [0x20, 0x01, 0x0d, 0xb8]);
  for (const bad of ['0x7f.0.0.1', '1.2.3', '256.0.0.1', '1.2.3.4/33', '1.2.3.4/', '1.2.3.4/ 8', 'fe80::1%eth0', '2001:db8::g', '']) {
    assert.equal(canonicalText(bad), null, bad);
    assert.throws(() => canonicalAddr(bad), /not an IP address/, bad);
    assert.throws(() => addrTarget(bad), /not an IP address/, bad);
    assert.throws(() => placement('sshd', bad), /not an IP address/, bad);
  }
});

test('a log line and f2b-fw ban of 010.0.0.1 ban the same address in a running daemon', async () => {
  const t = await startInProcess((dir) => jailSection('sshd', join(dir, 'a.log')) + jailSection('manual', join(dir, 'b.log')));
  try {
    writeFileSync(join(t.cfg.dir, 'a.log'), '');
    appendFileSync(join(t.cfg.dir, 'a.log'), 'FAIL login from 010.0.0.1\n');
    await t.waitLog((l) => l.event === 'dry-run-block' && l.jail === 'sshd');
    await t.daemon.ban('manual', ['010.0.0.1']);
    assert.deepEqual((await t.driver.list()).map((b) => `${b.jail} ${b.addr}`).sort(), ['manual 10.0.0.1', 'sshd 10.0.0.1']);
  } finally {
    await t.close();
  }
});

test('prefix lengths have one reader: 1-3 decimal digits up to the family width, nothing else', () => {
  assert.equal(prefixLength('64', 128), 64);
  assert.equal(prefixLength('0', 32), 0);
  assert.equal(prefixLength('032', 32), 32, 'leading zeros are decimal');
  for (const bad of ['33', '', '+1', '-1', ' 8', '1e1', '0x10', '8.0', '1000']) assert.equal(prefixLength(bad, 32), null, JSON.stringify(bad));
  assert.equal(canonicalText('198.51.100.0/033'), null);
  assert.equal(canonicalText('2001:db8::/0064'), null, 'four digits are not a prefix length');
});
