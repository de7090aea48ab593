import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DateDetector } from '../src/filter/date-detector.js';
import { zoneOffset } from '../src/filter/timezone.js';
import { compileFilter } from '../src/filter/filter.js';
import { ConfigError } from '../src/core/errors.js';
import { filterDef, line } from './support/filter-def.js';

process.env.TZ = 'UTC';

const NOW = Date.UTC(2026, 10, 21, 6, 0, 0);

function parse(text: string, datepattern?: string, offset: number | null = null): { time: number | null; date: string; rest: string; template: string } | null {
  const d = new DateDetector(datepattern);
  const m = d.find(text);
  if (m === null) return null;
  return {
    time: m.template.time(m.match, { now: NOW, defaultOffset: offset }),
    date: text.slice(m.start, m.end),
    rest: text.slice(0, m.start) + text.slice(m.end),
    template: m.template.name,
  };
}

test('syslog date: year inferred from the clock', () => {
  const r = parse('Nov 21 05:09:37 host sshd[1]: x')!;
  assert.equal(r.time, Date.UTC(2026, 10, 21, 5, 9, 37));
  assert.equal(r.date, 'Nov 21 05:09:37');
  assert.equal(r.rest, ' host sshd[1]: x');
});

test('syslog date in the future is rolled back a year; up to a day ahead is kept', () => {
  assert.equal(parse('Dec 25 10:00:00 host x')!.time, Date.UTC(2025, 11, 25, 10, 0, 0));
  assert.equal(parse('Nov 22 05:00:00 host x')!.time, Date.UTC(2026, 10, 22, 5, 0, 0));
  assert.equal(parse('Jan  2 03:04:05 host x')!.time, Date.UTC(2026, 0, 2, 3, 4, 5));
});

test('RFC 3339 / ISO 8601 with fractions and zones', () => {
  assert.equal(parse('2021-11-22T10:19:34.123+09:00 host x')!.time, Date.UTC(2021, 10, 22, 1, 19, 34, 123));
  assert.equal(parse('2021-11-22T10:19:34Z host x')!.time, Date.UTC(2021, 10, 22, 10, 19, 34));
  assert.equal(parse('2021-11-22 10:19:34,5 -0130 x')!.time, Date.UTC(2021, 10, 22, 11, 49, 34, 500));
  assert.equal(parse('2021-11-22T10:19:34.745282 x')!.time, Date.UTC(2021, 10, 22, 10, 19, 34, 745));
});

test('Apache access and error log dates', () => {
  const a = parse('203.0.113.9 - - [22/Nov/2021:10:19:34 +0900] "GET / HTTP/1.1" 401 12')!;
  assert.equal(a.time, Date.UTC(2021, 10, 22, 1, 19, 34));
  assert.equal(a.rest, '203.0.113.9 - - [] "GET / HTTP/1.1" 401 12');
  const e = parse('[Mon Nov 22 12:43:22.745282 2021] [core:error] [pid 1] [client 203.0.113.9:5] AH00126: x')!;
  assert.equal(e.time, Date.UTC(2021, 10, 22, 12, 43, 22, 745));
  assert.equal(e.rest.startsWith('[] [core:error]'), true);
});

test('epoch seconds with and without fraction, also in audit records', () => {
  assert.equal(parse('1637577574 sshd x')!.time, 1637577574000);
  assert.equal(parse('[1637577574.250] x')!.time, 1637577574250);
  assert.equal(parse('type=USER_LOGIN msg=audit(1637577574.456:123): x')!.time, 1637577574456);
});

test('a datepattern in strftime form, %% for a literal percent, {^LN-BEG}', () => {
  assert.equal(parse('L 22/11/2021 - 10:19:34: x', '^L %d/%m/%Y - %H:%M:%S')!.time, Date.UTC(2021, 10, 22, 10, 19, 34));
  assert.equal(parse('100% 22/11/2021 10:19:34 x', '^100%% %d/%m/%Y %H:%M:%S')!.time, Date.UTC(2021, 10, 22, 10, 19, 34));
  assert.equal(parse('x Nov 21 05:09:37 y', '{^LN-BEG}'), null, 'only line-begin dates');
  assert.notEqual(parse('Nov 21 05:09:37 y', '{^LN-BEG}'), null);
  assert.equal(parse('apr 15, 2013 8:34:08 PM x', '^%b %d, %ExY %I:%M:%S %p')!.time, Date.UTC(2013, 3, 15, 20, 34, 8));
});

test('{DATE} puts the default templates inside a pattern; {NONE} turns dates off', () => {
  const r = parse('host x [22/Nov/2021:10:19:34 +0000] y', '^[^\\[]*\\[({DATE})')!;
  assert.equal(r.time, Date.UTC(2021, 10, 22, 10, 19, 34));
  assert.equal(new DateDetector('{NONE}').none, true);
  const both = new DateDetector('^L %d/%m/%Y - %H:%M:%S\n{DEFAULT}');
  assert.equal(both.find('Nov 21 05:09:37 x')?.template.name, '{^LN-BEG}(?:%a )?%b %d %k:%M:%S(?:\\.%f)?(?: %ExY)?');
  assert.equal(both.find('L 22/11/2021 - 10:19:34: x')?.template.name, '^L %d/%m/%Y - %H:%M:%S');
});

test('time-only dates are today, or yesterday when ahead of the clock', () => {
  assert.equal(parse('05:09:37 x')!.time, Date.UTC(2026, 10, 21, 5, 9, 37));
  assert.equal(parse('07:00:00 x')!.time, Date.UTC(2026, 10, 20, 7, 0, 0));
});

test('logtimezone applies to dates without a zone only', () => {
  assert.equal(parse('Nov 21 05:09:37 host x', undefined, 120)!.time, Date.UTC(2026, 10, 21, 3, 9, 37));
  assert.equal(parse('2021-11-22T10:19:34Z x', undefined, 120)!.time, Date.UTC(2021, 10, 22, 10, 19, 34));
});

test('zone texts fail2ban accepts', () => {
  assert.equal(zoneOffset('UTC'), 0);
  assert.equal(zoneOffset('UTC+0200'), 120);
  assert.equal(zoneOffset('-05:30'), -330);
  assert.equal(zoneOffset('CET'), 60);
  assert.equal(zoneOffset('CEST+01'), 180);
  assert.equal(zoneOffset('Mars/Olympus'), null);
});

test('a filter hit carries the time of its line, with logtimezone; a bad logtimezone is a ConfigError', () => {
  const def = filterDef({ failregex: '^ host x: fail from <HOST>$' });
  const f = compileFilter(def, { clock: { now: () => NOW }, logtimezone: 'UTC+0100' });
  const [hit] = f.feed(line('Nov 21 05:09:37 host x: fail from 192.0.2.5'));
  assert.equal(hit?.time, Date.UTC(2026, 10, 21, 4, 9, 37));
  assert.throws(() => compileFilter(def, { clock: { now: () => NOW }, logtimezone: 'Moon' }), ConfigError);
});

test('a bad datepattern is a ConfigError naming it', () => {
  const def = filterDef({ failregex: '<HOST>', datepattern: '%Q %H' });
  assert.throws(() => compileFilter(def, { clock: { now: () => NOW } }), (e: unknown) => e instanceof ConfigError && /datepattern.*%Q/.test(e.message));
  // Only fail2ban's own patterns compile on first use: a filter's own that does not compile fails at load.
  const bad = filterDef({ failregex: '<HOST>', datepattern: '^%H:%M:%S(' });
  assert.throws(() => compileFilter(bad, { clock: { now: () => NOW } }));
});

test('a failure dated beyond the skew tolerance takes its read time; a dateless line never inherits a future date', () => {
  let now = NOW;
  const f = compileFilter(filterDef({ failregex: 'fail from <HOST>' }), { clock: { now: () => now }, logtimezone: 'UTC' });
  const readAt = NOW - 5;
  const [future] = f.feed(line('2096-01-01 00:00:00 host x: fail from 192.0.2.5', readAt));
  assert.equal(future?.time, readAt, '2096 is not believed');
  assert.equal(f.futureDates, 1);
  const [dateless] = f.feed(line('host x: fail from 192.0.2.6', readAt + 1));
  assert.equal(dateless?.time, readAt + 1, 'its own read time, not the previous line\'s 2096');
  const skewed = new Date(NOW + 30_000).toISOString().replace('T', ' ').slice(0, 19);
  const [near] = f.feed(line(`${skewed} host x: fail from 192.0.2.7`, readAt));
  assert.equal(near?.time, NOW + 30_000, 'a little clock skew is tolerated');
  now = NOW + 3_600_000;
  const [later] = f.feed(line('host x: fail from 192.0.2.8', now));
  assert.equal(later?.time, now);
  assert.equal(f.futureDates, 1);
});
