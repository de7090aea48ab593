/** Address classification and kernel-key text (pure): what goes into which set, and how it reads back. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addrTarget, parseSetName, ruleJail, setName } from '../src/fw/nft/names.js';
import { bytesText } from '../src/core/ip-text.js';
import { intervalTexts } from '../src/fw/nft/actual.js';

test('addresses are canonical RFC 5952 text; mapped IPv4 is IPv4; full-length prefixes are addresses', () => {
  const cases: [string, string, 4 | 6, 'addr' | 'net'][] = [
    ['192.0.2.1', '192.0.2.1', 4, 'addr'],
    ['2001:DB8::0:1', '2001:db8::1', 6, 'addr'],
    ['2001:0db8:0000:0000:0000:ff00:0042:8329', '2001:db8::ff00:42:8329', 6, 'addr'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1', 6, 'addr'],
    ['::ffff:192.0.2.1', '192.0.2.1', 4, 'addr'],
    ['64:ff9b::192.0.2.33', '64:ff9b::c000:221', 6, 'addr'],
    ['198.51.100.7/24', '198.51.100.0/24', 4, 'net'],
    ['2001:db8::1/128', '2001:db8::1', 6, 'addr'],
    ['2001:db8:1::/48', '2001:db8:1::/48', 6, 'net'],
    // One IPv4 rule everywhere (src/core/address.ts): leading zeros are decimal, never octal.
    ['01.2.3.4', '1.2.3.4', 4, 'addr'],
  ];
  for (const [input, text, version, kind] of cases) assert.deepEqual(addrTarget(input), { text, version, kind }, input);
  for (const bad of ['fe80::1%eth0', '1.2.3', '1::2::3', '1:2:3:4:5:6:7:8:9', '12345::', '::1.2.3.256', '256.1.1.1', ' 1.2.3.4', '192.0.2.1; drop', '']) {
    assert.throws(() => addrTarget(bad), /not an IP address or prefix/, bad);
  }
});

test('kernel keys read back in the same spelling', () => {
  for (const a of ['2001:db8::1', '2001:db8::1:0:0:1', '2001:db8:1:2:3:4:5:6', '::', '::1', '2001:db8::']) {
    const key = Buffer.alloc(16);
    const g = a === '::' ? [0, 0, 0, 0, 0, 0, 0, 0] : (() => {
      const [h, t] = a.split('::') as [string, string | undefined];
      const head = h ? h.split(':') : [];
      const tail = t ? t.split(':') : [];
      return t === undefined ? head.map((x) => parseInt(x, 16)) : [...head, ...Array(8 - head.length - tail.length).fill('0'), ...tail].map((x) => parseInt(x, 16));
    })();
    g.forEach((x, i) => key.writeUInt16BE(x, i * 2));
    assert.equal(bytesText(key), addrTarget(a).text, a);
  }
  assert.equal(bytesText(Buffer.from([192, 0, 2, 9])), '192.0.2.9');
});

test('interval elements fold back into prefixes', () => {
  const el = (bytes: number[], intervalEnd: boolean, expiresMs?: number) => ({ key: Buffer.from(bytes), intervalEnd, ...(expiresMs === undefined ? {} : { expiresMs }) });
  const out = intervalTexts([el([0, 0, 0, 0], true), el([198, 51, 100, 0], false, 5000), el([198, 51, 101, 0], true), el([203, 0, 113, 8], false), el([203, 0, 113, 9], true)]);
  assert.deepEqual([...out], [['198.51.100.0/24', 5000], ['203.0.113.8', null]]);
  // Adjacent prefixes share a key (one's end, the next one's start), in whichever order the kernel dumps them.
  const start = (last: number) => el([198, 51, 100, last], false, 7000);
  const end = (last: number) => el([198, 51, 100, last], true);
  for (const order of [[start(0), start(4), end(4), end(6)], [end(6), end(4), start(4), start(0)]]) {
    assert.deepEqual([...intervalTexts(order)], [['198.51.100.0/30', 7000], ['198.51.100.4/31', 7000]]);
  }
});

test('set names and rule comments round-trip', () => {
  assert.equal(setName('nginx-http-auth', 6, 'net'), 'nginx-http-auth-v6-net');
  assert.deepEqual(parseSetName('nginx-http-auth-v6-net'), { jail: 'nginx-http-auth', version: 6, kind: 'net' });
  assert.deepEqual(parseSetName('sshd-v4'), { jail: 'sshd', version: 4, kind: 'addr' });
  assert.equal(parseSetName('f2b-fw-probe'), undefined);
  assert.equal(ruleJail('f2b-fw sshd input 0123456789ab'), 'sshd');
  assert.equal(ruleJail('someone else'), undefined);
});
