import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../src/core/errors.js';
import { DEFAULTS } from '../src/core/defaults.js';
import { loadJailConfig } from '../src/config/load.js';
import { jailSettings } from '../src/jail/settings.js';
import type { RawSection } from '../src/config/types.js';
import { tempConfigDir } from './support/config-files.js';

/** Loads `jail.local` text over the shipped jail.conf and returns the named jail. */
function load(dir: ReturnType<typeof tempConfigDir>, local: string, name: string): RawSection {
  dir.write('jail.local', local);
  const j = loadJailConfig(dir.dir).jails.find((s) => s.name === name);
  assert.ok(j);
  return j;
}

describe('jailSettings', () => {
  const tmp = tempConfigDir();
  after(() => tmp.remove());

  it('types the shipped sshd jail with fail2ban defaults', () => {
    const s = jailSettings(load(tmp, '[sshd]\nenabled = true\n', 'sshd'));
    assert.equal(s.name, 'sshd');
    assert.equal(s.enabled, true);
    assert.equal(s.filter, 'sshd[mode=normal]');
    assert.deepEqual(s.logpath, ['/var/log/auth.log']);
    assert.equal(s.backend, 'auto');
    assert.equal(s.maxretry, DEFAULTS.maxretry);
    assert.equal(s.findtime, DEFAULTS.findtime);
    assert.equal(s.bantime, DEFAULTS.bantime);
    assert.deepEqual(s.ignoreip, ['127.0.0.1/8', '::1']);
    assert.equal(s.ignoreself, true);
    assert.equal(s.usedns, 'no');
    assert.equal(s.increment.enabled, false);
    assert.deepEqual(s.journalmatch, ['_SYSTEMD_UNIT=ssh.service + _COMM=sshd']);
  });

  it('reads every option a jail.local may set', () => {
    const s = jailSettings(load(tmp, [
      '[sshd]', 'enabled = yes', 'bantime = -1', 'findtime = 1h30m', 'maxretry = 3', 'backend = systemd',
      'logpath = /var/log/a.log', '          /var/log/b*.log tail', 'ignoreip = 192.0.2.0/24, 2001:db8::/32 localhost',
      'ignoreself = false', 'usedns = no', 'logtimezone = UTC+02',
      'bantime.increment = true', 'bantime.factor = 2', 'bantime.multipliers = 1 5 30', 'bantime.maxtime = 1w',
      'bantime.rndtime = 10m', 'bantime.overalljails = on', '',
    ].join('\n'), 'sshd'));
    assert.equal(s.bantime, null);
    assert.equal(s.findtime, 5400);
    assert.equal(s.maxretry, 3);
    assert.equal(s.backend, 'systemd');
    assert.deepEqual(s.logpath, ['/var/log/a.log', '/var/log/b*.log']);
    assert.deepEqual(s.ignoreip, ['192.0.2.0/24', '2001:db8::/32', 'localhost']);
    assert.equal(s.ignoreself, false);
    assert.equal(s.usedns, 'no');
    assert.equal(s.logtimezone, 'UTC+02');
    assert.deepEqual(s.increment, {
      enabled: true, factor: 2, multipliers: [1, 5, 30], formula: 'power2', maxtime: 604800, rndtime: 600, overalljails: true,
    });
  });

  it('understands fail2ban\'s two documented formulas and refuses any other (no eval)', () => {
    const exp = jailSettings(load(tmp,
      '[sshd]\nbantime.formula = ban.Time * math.exp(float(ban.Count+1)*banFactor)/math.exp(1*banFactor)\n', 'sshd'));
    assert.equal(exp.increment.formula, 'exp');
    const raw = load(tmp, '[sshd]\nbantime.formula = __import__("os").system("id")\n', 'sshd');
    assert.throws(() => jailSettings(raw), (e: unknown) =>
      e instanceof ConfigError && e.position.key === 'bantime.formula' && e.position.line === 2 && /never evaluates/.test(e.message));
  });

  it('refuses bad values naming file, line, section, key and value', () => {
    const cases: [string, RegExp][] = [
      ['maxretry = 0', /whole number from 1 to 1000000/],
      ['maxretry = 2.5', /whole number from 1 to 1000000/],
      ['findtime = -1', /permanent -1 is not allowed/],
      ['bantime = soon', /not a duration/],
      ['bantime = 0', /would ban nobody/],
      ['enabled = perhaps', /expected a boolean/],
      ['backend = gamin', /expected one of auto, polling, inotify, systemd/],
      ['usedns = maybe', /expected one of yes, warn, no, raw/],
      ['ignoreip = 192.0.2.300', /not an address, a CIDR prefix or a host name/],
      ['ignoreip = 192.0.2.0/33', /not an address/],
      ['bantime.multipliers = 1 x 3', /multiplier "x"/],
      ['bantime.factor = 0', /positive number/],
    ];
    for (const [line, problem] of cases) {
      const key = line.split(' = ')[0]!;
      // `enabled` is read while loading (which jails are enabled), the rest by jailSettings.
      assert.throws(() => jailSettings(load(tmp, `[sshd]\n${line}\n`, 'sshd')), (e: unknown) => {
        if (!(e instanceof ConfigError)) return false;
        const p = e.position;
        return p.file.endsWith('jail.local') && p.line === 2 && p.section === 'sshd' && p.key === key
          && p.value === line.split(' = ')[1] && problem.test(e.message) && e.message.includes('jail.local:2 [sshd]');
      }, line);
    }
  });

  it('requires a logpath for an enabled jail unless it reads the journal', () => {
    tmp.write('jail.conf', '[DEFAULT]\nenabled = false\n[j]\nfilter = sshd\n');
    const raw = load(tmp, '[j]\nenabled = true\n', 'j');
    assert.throws(() => jailSettings(raw), (e: unknown) => e instanceof ConfigError && e.position.key === 'logpath');
    assert.equal(jailSettings(load(tmp, '[j]\nenabled = true\nbackend = systemd\n', 'j')).backend, 'systemd');
  });
});
