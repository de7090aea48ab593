import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Clock } from '../src/core/clock.js';
import type { Failure } from '../src/core/records.js';
import { ConfigError } from '../src/core/errors.js';
import { loadJailConfig } from '../src/config/load.js';
import { Jail, type BanHistory } from '../src/jail/jail.js';
import { jailSettings, type JailSettings } from '../src/jail/settings.js';
import { netOf, netContains, prefixKey } from '../src/core/prefix.js';
import { tempConfigDir } from './support/config-files.js';

const T0 = Date.UTC(2026, 10, 21, 6, 0, 0);
const clock: Clock & { t: number } = { t: T0, now() { return this.t; } };

/** Ban counts in memory, as the store keeps them. */
class History implements BanHistory {
  readonly counts = new Map<string, number>();
  banCount(addr: string): number { return this.counts.get(addr) ?? 0; }
}

const tmp = tempConfigDir();
after(() => tmp.remove());

/** Settings of one jail from jail.local text over the shipped jail.conf (maxretry 1 unless given). */
function settingsOf(keys: string): JailSettings {
  tmp.write('jail.local', `[t]\nenabled = false\nmaxretry = 1\nbantime = 600\n${keys}\n`);
  return jailSettings(loadJailConfig(tmp.dir).jails.find((j) => j.name === 't')!);
}

const fail = (addr: string): Failure => ({ jail: 't', addr, time: clock.t, matches: [`FAIL from ${addr}`], fields: {} });

describe('prefix arithmetic', () => {
  it('keys an address by its prefix once, and leaves wider prefixes alone', () => {
    assert.equal(prefixKey('2001:db8:7::5', 32, 64), '2001:db8:7::/64');
    assert.equal(prefixKey('203.0.113.77', 24, 128), '203.0.113.0/24');
    assert.equal(prefixKey('2001:db8::/48', 32, 64), '2001:db8::/48');
    assert.equal(prefixKey('203.0.113.77', 32, 128), '203.0.113.77');
    assert.ok(netContains(netOf('2001:db8:7::/48')!, netOf('2001:db8:7:9::1')!));
    assert.ok(!netContains(netOf('2001:db8:7::/64')!, netOf('2001:db8:7:1::1')!));
    assert.equal(netOf('203.0.113.0/33'), null);
    assert.equal(netOf('not an address'), null);
  });
});

describe('prefix jail keys', () => {
  it('default to single addresses (fail2ban behaviour) and read ipv6_prefix, ipv4_prefix, escalate', () => {
    const d = settingsOf('');
    assert.deepEqual(d.prefix, { v4: 32, v6: 128 });
    assert.equal(d.escalate, null);
    const s = settingsOf('ipv6_prefix = 64\nipv4_prefix = 24\nescalate = 3 in 1h\nescalate_prefix = 48, 20');
    assert.deepEqual(s.prefix, { v4: 24, v6: 64 });
    assert.deepEqual(s.escalate, { count: 3, window: 3600, bits: { v6: 48, v4: 20 } });
    assert.deepEqual(settingsOf('escalate = 2 in 10m').escalate?.bits, { v6: 64, v4: 24 });
  });

  it('refuses bad values naming file, line and key', () => {
    for (const [keys, key] of [
      ['ipv6_prefix = 129', 'ipv6_prefix'], ['ipv6_prefix = 16', 'ipv6_prefix'], ['ipv4_prefix = 0', 'ipv4_prefix'],
      ['escalate = lots', 'escalate'], ['escalate = 1 in 1h', 'escalate'], ['escalate = 3 in -1', 'escalate'],
      ['escalate = 3 in 1h\nescalate_prefix = 128', 'escalate_prefix'], ['escalate_prefix = 48', 'escalate_prefix'],
      ['ipv6_prefix = 64\nescalate = 3 in 1h\nescalate_prefix = 64', 'escalate_prefix'],
      ['failure_table_size = 0', 'failure_table_size'],
    ] as const) {
      assert.throws(() => settingsOf(keys), (e: unknown) => e instanceof ConfigError && e.position.key === key
        && /jail\.local:\d+ \[t\]/.test(e.message), keys);
    }
  });
});

describe('Jail with prefixes', () => {
  it('counts the addresses of one /64 together and bans the /64, saying how many addresses made it', () => {
    const jail = new Jail({ ...settingsOf('ipv6_prefix = 64'), maxretry: 3 }, { clock, history: new History(), ownAddresses: [] });
    assert.equal(jail.onFailure(fail('2001:db8:7::1')), null);
    assert.equal(jail.onFailure(fail('2001:db8:7::2')), null);
    assert.equal(jail.onFailure(fail('2001:db8:8::1')), null, 'another /64 counts apart');
    const d = jail.onFailure(fail('2001:db8:7::3'));
    assert.equal(d?.addr, '2001:db8:7::/64');
    assert.equal(d?.addresses, 3);
    assert.equal(d?.matches.length, 3);
  });

  it('never bans a prefix holding an ignoreip: the address alone is banned and the refused prefix named', () => {
    const jail = new Jail(settingsOf('ipv6_prefix = 64\nignoreip = 2001:db8:7::53'), { clock, history: new History(), ownAddresses: [] });
    assert.equal(jail.onFailure(fail('2001:db8:7::53')), null, 'the ignored address itself never counts');
    const d = jail.onFailure(fail('2001:db8:7::9'));
    assert.equal(d?.addr, '2001:db8:7::9');
    assert.equal(d?.refused, '2001:db8:7::/64');
  });

  it('escalates N bans of one prefix within the window into the prefix, bantime.increment on its own history', () => {
    const history = new History();
    history.counts.set('2001:db8:7::/64', 2);
    const s = settingsOf('escalate = 3 in 1h\nbantime.increment = true');
    const jail = new Jail(s, { clock, history, ownAddresses: [] });
    history.counts.set('2001:db8:7::1', 5);
    assert.equal(jail.onFailure(fail('2001:db8:7::1'))?.addr, '2001:db8:7::1');
    assert.equal(jail.onFailure(fail('2001:db8:7::2'))?.addr, '2001:db8:7::2');
    assert.equal(jail.onFailure(fail('2001:db8:9::2'))?.addr, '2001:db8:9::2', 'a neighbour /64 is not escalated');
    const d = jail.onFailure(fail('2001:db8:7::3'));
    assert.equal(d?.addr, '2001:db8:7::/64');
    assert.equal(d?.addresses, 3);
    assert.equal(d?.ttl, 600 * 4, 'the prefix was banned twice before: 600 * 2^2');
    assert.equal(jail.onFailure(fail('2001:db8:7::4')), null, 'inside the banned prefix nothing counts');
    clock.t += 601_000 * 4;
    assert.equal(jail.onFailure(fail('2001:db8:7::4'))?.addr, '2001:db8:7::4', 'after the prefix ban ends, addresses count again');
    clock.t = T0;
  });

  it('forgets bans older than the escalation window', () => {
    const jail = new Jail(settingsOf('escalate = 2 in 10m'), { clock, history: new History(), ownAddresses: [] });
    jail.onFailure(fail('203.0.113.1'));
    clock.t += 601_000;
    assert.equal(jail.onFailure(fail('203.0.113.2'))?.addr, '203.0.113.2');
    assert.equal(jail.onFailure(fail('203.0.113.3'))?.addr, '203.0.113.0/24');
    clock.t = T0;
  });

  it('refuses an escalation over an ignoreip with the prefix named', () => {
    const jail = new Jail(settingsOf('escalate = 2 in 1h\nignoreip = 203.0.113.0/28'), { clock, history: new History(), ownAddresses: [] });
    jail.onFailure(fail('203.0.113.100'));
    const d = jail.onFailure(fail('203.0.113.101'));
    assert.equal(d?.addr, '203.0.113.101');
    assert.equal(d?.refused, '203.0.113.0/24');
  });

  it('keeps the failure table at failure_table_size, forgetting the longest-quiet key first', () => {
    const jail = new Jail({ ...settingsOf('failure_table_size = 100'), maxretry: 2 }, { clock, history: new History(), ownAddresses: [] });
    jail.onFailure(fail('2001:db8::1'));
    for (let i = 0; i < 10_000; i++) jail.onFailure(fail(`2001:db8:1::${i.toString(16)}`));
    assert.equal(jail.currentlyFailed(), 100);
    assert.equal(jail.evicted, 10_001 - 100);
    assert.equal(jail.onFailure(fail('2001:db8::1')), null, 'the evicted first address starts afresh');
    assert.ok(jail.onFailure(fail(`2001:db8:1::${(9999).toString(16)}`)), 'a recent one is still counted');
  });
});
