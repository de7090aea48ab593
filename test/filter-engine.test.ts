import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileFilter, type FilterOptions } from '../src/filter/filter.js';
import { ConfigError } from '../src/core/errors.js';
import { LIMITS } from '../src/core/defaults.js';
import { filterDef, line } from './support/filter-def.js';
import { canonicalAddress } from '../src/core/address.js';

process.env.TZ = 'UTC';
const NOW = Date.UTC(2026, 10, 21, 6, 0, 0);
const opts: FilterOptions = { clock: { now: () => NOW } };

const SSHD = filterDef({
  prefregex: String.raw`^<F-MLFID>\s*\S+ sshd\[\d+\]: </F-MLFID><F-CONTENT>.+</F-CONTENT>$`,
  failregex: [
    String.raw`^[iI](?:llegal|nvalid) user <F-USER>.*?</F-USER> from <HOST>(?: port \d+)?\s*$`,
    String.raw`^Failed \S+ for (?P<cond_inv>invalid user )?<F-USER>(?P<cond_user>\S+)|(?(cond_inv)(?:(?! from ).)*?|[^:]+)</F-USER> from <HOST>(?: port \d+)?(?: ssh\d*)?(?(cond_user): |(?:(?:(?! from ).)*)$)`,
    String.raw`^<F-NOFAIL>Connection from</F-NOFAIL> <HOST>`,
    String.raw`^<F-MLFFORGET><F-MLFGAINED>Accepted \w+</F-MLFGAINED></F-MLFFORGET> for <F-USER>\S+</F-USER> from <HOST>(?:\s|$)`,
    String.raw`^Disconnecting: Too many authentication failures(?: for <F-USER>\S+</F-USER>)?(?: \[preauth\])?$`,
  ].join('\n'),
  ignoreregex: String.raw`for invalid user ignoreme `,
}, 'sshd');

test('a user name holding "from <address>" never gets that address banned', () => {
  const f = compileFilter(SSHD, opts);
  const a = f.feed(line('Nov 21 05:00:00 host sshd[10]: Invalid user x from 203.0.113.9 from 198.51.100.7 port 22'));
  assert.deepEqual(a.map((h) => [h.addr, h.fields.user]), [['198.51.100.7', 'x from 203.0.113.9']]);
  const b = f.feed(line('Nov 21 05:00:01 host sshd[11]: Failed password for invalid user x from 203.0.113.9 port 22 ssh2 from 198.51.100.8 port 4242 ssh2'));
  assert.deepEqual(b.map((h) => h.addr), ['198.51.100.8']);
  const c = f.feed(line('Nov 21 05:00:02 host sshd[12]: Failed password for root from 198.51.100.9 port 22 ssh2'));
  assert.deepEqual(c.map((h) => [h.addr, h.fields.user, h.failregex]), [['198.51.100.9', 'root', 1]]);
  const d = f.feed(line('Nov 21 05:00:03 host sshd[13]: Invalid user 203.0.113.9'));
  assert.deepEqual(d, []);
});

test('the hit carries address, time from the line, matched lines and fields', () => {
  const f = compileFilter(SSHD, opts);
  const [h] = f.feed(line('Nov 21 05:09:37 host sshd[1]: Invalid user admin from 2001:DB8:0:0::7 port 22'));
  assert.equal(h?.addr, '2001:db8::7');
  assert.equal(h?.time, Date.UTC(2026, 10, 21, 5, 9, 37));
  assert.deepEqual(h?.matches, ['Nov 21 05:09:37 host sshd[1]: Invalid user admin from 2001:DB8:0:0::7 port 22']);
  assert.deepEqual(h?.fields, { user: 'admin' });
  assert.equal(h?.nofail, false);
});

test('ignoreregex drops a match; lines of other daemons never match', () => {
  const f = compileFilter(SSHD, opts);
  assert.deepEqual(f.feed(line('Nov 21 05:00:00 host sshd[2]: Failed password for invalid user ignoreme from 192.0.2.1 port 22 ssh2')), []);
  assert.equal(f.last.ignoreregex, 0);
  assert.deepEqual(f.feed(line('Nov 21 05:00:00 host cron[2]: Invalid user x from 192.0.2.1')), []);
});

test('multi-line id: a failure without address counts once the address is known; success cancels', () => {
  const f = compileFilter(SSHD, opts);
  assert.deepEqual(f.feed(line('Nov 21 05:00:00 host sshd[7]: Connection from 192.0.2.50 port 5000')), []);
  const hits = f.feed(line('Nov 21 05:00:01 host sshd[7]: Disconnecting: Too many authentication failures for root [preauth]'));
  assert.deepEqual(hits.map((h) => [h.addr, h.fields.user]), [['192.0.2.50', 'root']]);
  assert.equal(hits[0]?.matches.length, 2);
  assert.deepEqual(f.feed(line('Nov 21 05:00:02 host sshd[8]: Connection from 192.0.2.51 port 5001')), []);
  assert.deepEqual(f.feed(line('Nov 21 05:00:03 host sshd[8]: Accepted publickey for bob from 192.0.2.51 port 5001 ssh2')), []);
});

test('<F-NOFAIL> hits are reported only on request, flagged', () => {
  const f = compileFilter(SSHD, { ...opts, reportNofail: true });
  const [h] = f.feed(line('Nov 21 05:00:00 host sshd[9]: Connection from 192.0.2.60 port 1'));
  assert.equal(h?.nofail, true);
});

test('addresses are canonical: leading zeros decimal, mapped IPv4, prefixes; invalid ones dropped', () => {
  const f = compileFilter(filterDef({ failregex: '^bad <SUBNET>$' }), opts);
  const addr = (t: string) => f.feed(line(t)).map((h) => h.addr);
  assert.deepEqual(addr('bad 192.0.02.010'), ['192.0.2.10']);
  assert.deepEqual(addr('bad ::ffff:192.0.2.3'), ['192.0.2.3']);
  assert.deepEqual(addr('bad 198.51.100.77/24'), ['198.51.100.0/24']);
  assert.deepEqual(addr('bad 2001:db8:1:2::5/48'), ['2001:db8:1::/48']);
  assert.deepEqual(addr('bad 203.0.113.9/32'), ['203.0.113.9']);
  assert.deepEqual(addr('bad 999.0.113.9'), []);
  assert.deepEqual(addr('bad 203.0.113.9/33'), []);
  assert.deepEqual(addr('bad 1:2:3:4:5:6:7:8:9'), []);
});

test('host names match only with usedns, resolved through the injected resolver', () => {
  const def = filterDef({ failregex: '^bad <HOST>$' });
  assert.deepEqual(compileFilter(def, opts).feed(line('bad evil.example')), []);
  const f = compileFilter(def, { ...opts, usedns: 'yes', resolve: (n) => (n === 'evil.example' ? ['192.0.2.99', '2001:db8::99'] : []) });
  assert.deepEqual(f.feed(line('bad evil.example')).map((h) => h.addr), ['192.0.2.99', '2001:db8::99']);
  assert.deepEqual(compileFilter(def, { ...opts, usedns: 'raw' }).feed(line('bad evil.example')), [], 'a name never reaches the firewall');
  const raw = compileFilter(def, { ...opts, usedns: 'raw', rawHosts: true });
  assert.deepEqual(raw.feed(line('bad evil.example')).map((h) => h.addr), ['evil.example']);
});

test('multi-line filters match over the buffer and take matched lines out; <SKIPLINES>', () => {
  const def = filterDef({
    failregex: String.raw`^ conn <F-ID>\d+</F-ID> open from <HOST>$<SKIPLINES>^ conn \d+ auth failed$`,
    maxlines: '5',
  });
  const f = compileFilter(def, opts);
  assert.deepEqual(f.feed(line('Nov 21 05:00:00 conn 1 open from 192.0.2.20')), []);
  assert.deepEqual(f.feed(line('Nov 21 05:00:01 unrelated noise')), []);
  const hits = f.feed(line('Nov 21 05:00:02 conn 1 auth failed'));
  assert.deepEqual(hits.map((h) => [h.addr, h.matches.length, h.time]), [['192.0.2.20', 2, Date.UTC(2026, 10, 21, 5, 0, 2)]]);
  assert.deepEqual(f.feed(line('Nov 21 05:00:03 conn 1 auth failed')), [], 'matched lines left the buffer');
});

test('prefregex must match; failregexes see its <F-CONTENT> only', () => {
  const def = filterDef({ prefregex: String.raw`^\s*\S+ app: <F-CONTENT>.+</F-CONTENT>$`, failregex: '^denied <HOST>$' });
  const f = compileFilter(def, opts);
  assert.equal(f.feed(line('Nov 21 05:00:00 h app: denied 192.0.2.4')).length, 1);
  assert.equal(f.feed(line('Nov 21 05:00:00 h other: denied 192.0.2.4')).length, 0);
});

test('a line cut by its source, or longer than the cap or maxlinelen in bytes, never matches', () => {
  const f = compileFilter(filterDef({ failregex: '^bad <HOST> ' }), opts);
  assert.deepEqual(f.feed(line(`bad 192.0.2.8 ${'x'.repeat(LIMITS.lineBytes * 3)}`)), []);
  assert.deepEqual(f.feed({ ...line('bad 192.0.2.8 xx'), cut: true }), [], 'flagged cut by the splitter');
  assert.deepEqual(f.feed(line('bad 192.0.2.8 xx')).map((h) => h.addr), ['192.0.2.8']);
  const ceiling = compileFilter(filterDef({ failregex: '^bad <HOST> ', maxlinelen: '100' }), opts);
  const fits = `bad 192.0.2.9 ${'é'.repeat(43)}`; // 14 + 86 = 100 bytes
  assert.equal(ceiling.feed(line(fits)).length, 1);
  assert.deepEqual(ceiling.feed(line(`${fits}é`)), [], '102 bytes (58 characters) is over');
  assert.equal(ceiling.cutLines, 1);
  assert.throws(() => compileFilter(filterDef({ failregex: '^bad <HOST> ', maxlinelen: '9999' }), opts), /maxlinelen must be an integer from 64 to 4096/);
});

test('a crafted line against a catastrophic regex returns promptly (linear-engine fallback)', () => {
  const f = compileFilter(filterDef({ failregex: String.raw`^auth failure for (?:\w+\s?)+ from <HOST>$` }), opts);
  assert.equal(f.unguarded.length, 0);
  const crafted = `auth failure for ${'a'.repeat(60)}!`;
  const started = performance.now();
  assert.deepEqual(f.feed(line(crafted)), []);
  const ms = performance.now() - started;
  assert.ok(ms < 2000, `took ${ms.toFixed(0)} ms`);
  assert.deepEqual(f.feed(line('auth failure for a b c from 192.0.2.2')).map((h) => h.addr), ['192.0.2.2']);
});

test('regexes with lookarounds are reported as unguarded; the line cap bounds their quadratic worst case', () => {
  const f = compileFilter(filterDef({ failregex: String.raw`^ \S+ sshd\[\d+\]: Failed \S+ for (?:(?! from ).)*? from <HOST>(?: port \d+)?(?:(?:(?! from ).)*)$` }), opts);
  assert.equal(f.unguarded.length, 1);
  const crafted = `Nov 21 05:09:37 host sshd[1]: Failed password for ${'a from 1.2.3.4 x '.repeat(1000)}`;
  const started = performance.now();
  f.feed(line(crafted));
  const ms = performance.now() - started;
  assert.ok(ms < 2000, `took ${ms.toFixed(0)} ms`);
});

test('configuration errors name the filter, key and regex', () => {
  assert.throws(() => compileFilter(filterDef({ failregex: '^no id here$' }), opts),
    (e: unknown) => e instanceof ConfigError && /test\.conf .*failregex.*no id here.*failure-id/.test(e.message));
  assert.throws(() => compileFilter(filterDef({ ignoreregex: 'x' }), opts), /no failregex/);
  assert.throws(() => compileFilter(filterDef({ failregex: '<HOST>', maxlines: '0' }), opts), /maxlines/);
  assert.throws(() => compileFilter(filterDef({ failregex: '(?P<x>a)(?P<x>b) <HOST>' }), opts), ConfigError);
});

test('journalmatch lines are exposed for the journal source', () => {
  const f = compileFilter(filterDef({ failregex: '<HOST>', journalmatch: '_SYSTEMD_UNIT=sshd.service + _COMM=sshd\n_COMM=x' }), opts);
  assert.deepEqual(f.journalmatch, ['_SYSTEMD_UNIT=sshd.service + _COMM=sshd', '_COMM=x']);
});

test('the literal prefilter never hides a failure whose literal spans the cut-out date', () => {
  const f = compileFilter(filterDef({ failregex: String.raw`^<HOST> - \S+ \[\] "GET /login" 401` }), opts);
  assert.notEqual(f.prefilter, null);
  const hits = f.feed(line('192.0.2.30 - bob [22/Nov/2021:10:19:34 +0000] "GET /login" 401 12'));
  assert.deepEqual(hits.map((h) => h.addr), ['192.0.2.30']);
  assert.deepEqual(f.feed(line('192.0.2.30 - bob [22/Nov/2021:10:19:34 +0000] "GET /" 200 12')), []);
});

test('IPv6 text is parsed strictly and written in RFC 5952 form', () => {
  const cases: Array<[string, string | null]> = [
    ['2001:DB8:0:0::7', '2001:db8::7'], ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'], ['2001:db8:0:0:1:0:0:0', '2001:db8:0:0:1::'],
    ['::', '::'], ['::1', '::1'], ['::ffff:c000:0203', '192.0.2.3'], ['2001:db8::192.0.2.1', '2001:db8::c000:201'],
    ['12345::1', null], ['1::2::3', null], ['1:2:3:4:5:6:7:8:9', null], ['1.2.3.4::', null], ['::ffff:1.2.3', null],
    ['g::1', null], ['1:2:3:4:5:6:7:8:', null], ['fe80::1%eth0', null],
  ];
  for (const [text, want] of cases) assert.equal(canonicalAddress(text), want, text);
});
