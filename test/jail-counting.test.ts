import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Clock } from '../src/core/clock.js';
import type { Failure } from '../src/core/records.js';
import { Jail, type BanHistory } from '../src/jail/jail.js';
import { hostAddresses } from '../src/jail/ignore.js';
import { incrementedBantime, MAX_BANTIME } from '../src/jail/increment.js';
import type { BantimeIncrement, JailSettings } from '../src/jail/settings.js';

const T0 = Date.UTC(2026, 10, 21, 6, 0, 0);

/** A clock the test moves by hand. */
class TestClock implements Clock {
  constructor(public t: number) {}
  now(): number { return this.t; }
}

/** Ban counts kept in memory, keyed by jail and address (the store keeps them in SQLite). */
class CountingHistory implements BanHistory {
  readonly bans: { jail: string; addr: string }[] = [];
  banCount(addr: string, jail?: string): number {
    return this.bans.filter((b) => b.addr === addr && (jail === undefined || b.jail === jail)).length;
  }
}

const NO_INCREMENT: BantimeIncrement = { enabled: false, factor: 1, multipliers: [], formula: 'power2', maxtime: null, rndtime: null, overalljails: false };

function settings(over: Partial<JailSettings> = {}): JailSettings {
  return {
    name: 'sshd', enabled: true, filter: 'sshd', logpath: ['/var/log/auth.log'], backend: 'auto',
    maxretry: 3, findtime: 600, bantime: 600, ignoreip: [], ignoreself: false, increment: NO_INCREMENT, usedns: 'no',
    prefix: { v4: 32, v6: 128 }, floor: { v4: 16, v6: 32 }, escalate: null, failureTableSize: 100_000,
    ...over,
  };
}

const fail = (addr: string, time: number, line = `fail from ${addr}`): Failure =>
  ({ jail: 'sshd', addr, time, matches: [line], fields: {} });

describe('Jail counting', () => {
  it('bans at maxretry failures within findtime, for bantime, with the lines behind it', () => {
    const clock = new TestClock(T0);
    const jail = new Jail(settings(), { clock, history: new CountingHistory(), ownAddresses: [] });
    assert.equal(jail.onFailure(fail('203.0.113.9', T0 - 2000, 'a')), null);
    assert.equal(jail.onFailure(fail('203.0.113.9', T0 - 1000, 'b')), null);
    assert.equal(jail.currentlyFailed(), 1);
    const d = jail.onFailure(fail('203.0.113.9', T0, 'c'));
    assert.deepEqual(d, { op: 'ban', jail: 'sshd', addr: '203.0.113.9', ttl: 600, reason: 'maxretry reached', matches: ['a', 'b', 'c'], failures: 3, fields: {} });
    assert.equal(jail.currentlyFailed(), 0, 'counting starts afresh after a ban');
  });

  it('counts addresses separately', () => {
    const clock = new TestClock(T0);
    const jail = new Jail(settings({ maxretry: 2 }), { clock, history: new CountingHistory(), ownAddresses: [] });
    assert.equal(jail.onFailure(fail('203.0.113.1', T0)), null);
    assert.equal(jail.onFailure(fail('2001:db8::1', T0)), null);
    assert.equal(jail.onFailure(fail('203.0.113.1', T0))?.addr, '203.0.113.1');
    assert.equal(jail.currentlyFailed(), 1);
  });

  it('does not count a failure older than findtime by the clock (old log lines)', () => {
    const clock = new TestClock(T0);
    const jail = new Jail(settings({ maxretry: 2 }), { clock, history: new CountingHistory(), ownAddresses: [] });
    assert.equal(jail.onFailure(fail('203.0.113.9', T0 - 601_000)), null);
    assert.equal(jail.onFailure(fail('203.0.113.9', T0 - 700_000)), null);
    assert.equal(jail.currentlyFailed(), 0);
    assert.equal(jail.onFailure(fail('203.0.113.9', T0 - 599_000)), null);
    assert.ok(jail.onFailure(fail('203.0.113.9', T0)));
  });

  it('lets failures fall out of the window as the clock moves', () => {
    const clock = new TestClock(T0);
    const jail = new Jail(settings(), { clock, history: new CountingHistory(), ownAddresses: [] });
    jail.onFailure(fail('198.51.100.7', T0));
    jail.onFailure(fail('198.51.100.7', T0 + 1000));
    clock.t = T0 + 600_500; // the first failure is now older than findtime
    assert.equal(jail.onFailure(fail('198.51.100.7', clock.t)), null);
    assert.equal(jail.currentlyFailed(), 1);
    clock.t = T0 + 2_000_000;
    assert.equal(jail.currentlyFailed(), 0, 'stale addresses are forgotten');
  });

  it('counts a failure dated in the future as now, so it leaves the window in time', () => {
    const clock = new TestClock(T0);
    const jail = new Jail(settings(), { clock, history: new CountingHistory(), ownAddresses: [] });
    jail.onFailure(fail('203.0.113.77', T0 + 365 * 86_400_000));
    assert.equal(jail.currentlyFailed(), 1);
    clock.t = T0 + 601_000;
    assert.equal(jail.currentlyFailed(), 0);
  });

  it('gives a permanent ban (ttl null) for bantime -1', () => {
    const clock = new TestClock(T0);
    const jail = new Jail(settings({ maxretry: 1, bantime: null }), { clock, history: new CountingHistory(), ownAddresses: [] });
    assert.equal(jail.onFailure(fail('203.0.113.5', T0))?.ttl, null);
  });
});

describe('ignoreip and ignoreself', () => {
  const clock = new TestClock(T0);
  const history = new CountingHistory();

  it('ignores listed addresses and CIDR prefixes (IPv4 and IPv6), and prefixes overlapping them', () => {
    const jail = new Jail(settings({ maxretry: 1, ignoreip: ['192.0.2.10', '198.51.100.0/24', '2001:db8:1::/48'] }), { clock, history, ownAddresses: [] });
    assert.equal(jail.onFailure(fail('192.0.2.10', T0)), null);
    assert.equal(jail.onFailure(fail('198.51.100.200', T0)), null);
    assert.equal(jail.onFailure(fail('2001:db8:1::5', T0)), null);
    assert.equal(jail.isIgnored('192.0.2.0/24'), true, 'banning the /24 would hit 192.0.2.10');
    assert.equal(jail.isIgnored('198.51.100.128/25'), true);
    assert.ok(jail.onFailure(fail('192.0.2.11', T0)));
    assert.ok(jail.onFailure(fail('2001:db8:2::5', T0)));
    assert.equal(jail.isIgnored('203.0.113.0/24'), false);
  });

  it('ignores the host\'s own addresses with ignoreself, not without', () => {
    const own = hostAddresses();
    assert.ok(own.includes('127.0.0.1'), `loopback among ${own.join(', ')}`);
    const withSelf = new Jail(settings({ maxretry: 1, ignoreself: true }), { clock, history, ownAddresses: own });
    for (const a of own) assert.equal(withSelf.isIgnored(a), true, a);
    assert.equal(withSelf.onFailure(fail('127.0.0.1', T0)), null);
    const without = new Jail(settings({ maxretry: 1, ignoreself: false }), { clock, history, ownAddresses: own });
    assert.ok(without.onFailure(fail('127.0.0.1', T0)));
  });

  it('resolves ignoreip host names (here from /etc/hosts) whatever usedns says: the admin wrote them', async () => {
    const yes = new Jail(settings({ maxretry: 1, ignoreip: ['localhost'], usedns: 'yes' }), { clock, history, ownAddresses: [] });
    assert.deepEqual(await yes.namesResolved, []);
    assert.equal(yes.isIgnored('127.0.0.1'), true);
    assert.equal(yes.onFailure(fail('127.0.0.1', T0)), null);
    const no = new Jail(settings({ maxretry: 1, ignoreip: ['localhost'], usedns: 'no' }), { clock, history, ownAddresses: [] });
    assert.deepEqual(await no.namesResolved, []);
    assert.equal(no.isIgnored('127.0.0.1'), true);
  });

  it('reports a name that does not resolve and keeps going', async () => {
    const j = new Jail(settings({ ignoreip: ['no-such-host.invalid'], usedns: 'warn' }), { clock, history, ownAddresses: [] });
    assert.deepEqual(await j.namesResolved, ['no-such-host.invalid']);
    assert.equal(j.isIgnored('203.0.113.1'), false);
  });
});

describe('bantime.increment', () => {
  const inc = (over: Partial<BantimeIncrement>): BantimeIncrement => ({ ...NO_INCREMENT, enabled: true, ...over });
  const noRandom = (): number => 0;

  it('doubles with each earlier ban by the default formula, times factor, capped at 2^20', () => {
    assert.equal(incrementedBantime(600, 0, inc({}), noRandom), 600);
    assert.equal(incrementedBantime(600, 1, inc({}), noRandom), 1200);
    assert.equal(incrementedBantime(600, 3, inc({}), noRandom), 4800);
    assert.equal(incrementedBantime(600, 2, inc({ factor: 24 }), noRandom), 600 * 4 * 24);
    assert.equal(incrementedBantime(1, 25, inc({}), noRandom), 2 ** 20);
    assert.equal(incrementedBantime(600, 1, inc({ factor: 0.1 }), noRandom), 600, 'never shorter than bantime');
  });

  it('uses multipliers by earlier-ban count, the last one repeating', () => {
    const m = inc({ multipliers: [1, 5, 30] });
    assert.equal(incrementedBantime(60, 1, m, noRandom), 300);
    assert.equal(incrementedBantime(60, 2, m, noRandom), 1800);
    assert.equal(incrementedBantime(60, 9, m, noRandom), 1800);
  });

  it('computes the exp formula, caps at maxtime and adds up to rndtime', () => {
    assert.equal(incrementedBantime(600, 1, inc({ formula: 'exp' }), noRandom), Math.round(600 * Math.E));
    assert.equal(incrementedBantime(600, 10, inc({ maxtime: 3600 }), noRandom), 3600);
    assert.equal(incrementedBantime(600, 1, inc({ rndtime: 100 }), () => 0.5), 1250);
    assert.equal(incrementedBantime(600, 5000, inc({ formula: 'exp', factor: 5 }), noRandom), MAX_BANTIME);
  });

  it('asks the ban history of this jail, or of all jails with overalljails', () => {
    const clock = new TestClock(T0);
    const history = new CountingHistory();
    history.bans.push({ jail: 'sshd', addr: '203.0.113.9' }, { jail: 'postfix', addr: '203.0.113.9' }, { jail: 'postfix', addr: '203.0.113.9' });
    const own = new Jail(settings({ maxretry: 1, increment: inc({}) }), { clock, history, ownAddresses: [] });
    assert.equal(own.onFailure(fail('203.0.113.9', T0))?.ttl, 1200);
    const all = new Jail(settings({ maxretry: 1, increment: inc({ overalljails: true }) }), { clock, history, ownAddresses: [] });
    assert.equal(all.onFailure(fail('203.0.113.9', T0))?.ttl, 600 * 8);
    const first = new Jail(settings({ maxretry: 1, increment: inc({}) }), { clock, history, ownAddresses: [] });
    assert.equal(first.onFailure(fail('198.51.100.1', T0))?.ttl, 600);
    const off = new Jail(settings({ maxretry: 1 }), { clock, history, ownAddresses: [] });
    assert.equal(off.onFailure(fail('203.0.113.9', T0))?.ttl, 600);
  });
});
