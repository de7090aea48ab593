import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ConfigError } from '../src/core/errors.js';
import { RULES_DIR } from '../src/core/paths.js';
import { loadJailConfig } from '../src/config/load.js';
import type { RawSection } from '../src/config/types.js';
import { tempConfigDir } from './support/config-files.js';

const jail = (jails: readonly RawSection[], name: string): RawSection => {
  const j = jails.find((s) => s.name === name);
  assert.ok(j, `jail ${name} loaded`);
  return j;
};
const val = (s: RawSection, key: string): string | undefined => s.settings.get(key)?.value;

describe('loadJailConfig', () => {
  const tmp = tempConfigDir({
    'jail.conf': '[DEFAULT]\nbantime = 10m\nmaxretry = 5\nenabled = false\nport = all\naction_ = ban[port="%(port)s"]\naction = %(action_)s\n'
      + '[sshd]\nport = ssh\nlogpath = /var/log/auth.log\n[web]\nport = http\n',
    'jail.d/10-a.conf': '[sshd]\nmaxretry = 3\n',
    'jail.d/20-b.conf': '[sshd]\nmaxretry = 4\n[added]\nenabled = true\nlogpath = /var/log/x.log\n',
    'jail.local': '[DEFAULT]\nbantime = 1h\n[sshd]\nenabled = true\nmaxretry = 2\nignoreip = %(known/ignoreip)s 192.0.2.1\n',
    'jail.d/99-z.local': '[sshd]\nmaxretry = 9\n',
  });
  after(() => tmp.remove());

  it('layers jail.conf, jail.d/*.conf (sorted), jail.local, jail.d/*.local', () => {
    const cfg = loadJailConfig(tmp.dir);
    assert.deepEqual(cfg.files.map((f) => f.slice(tmp.dir.length + 1)),
      ['jail.conf', 'jail.d/10-a.conf', 'jail.d/20-b.conf', 'jail.local', 'jail.d/99-z.local']);
    const sshd = jail(cfg.jails, 'sshd');
    assert.equal(val(sshd, 'maxretry'), '9');
    assert.equal(sshd.settings.get('maxretry')?.pos.file, join(tmp.dir, 'jail.d/99-z.local'));
    assert.equal(val(sshd, 'enabled'), 'true');
  });

  it('merges DEFAULT into every jail, a later DEFAULT winning, with the position of the line used', () => {
    const cfg = loadJailConfig(tmp.dir);
    const web = jail(cfg.jails, 'web');
    assert.equal(val(web, 'bantime'), '1h');
    assert.deepEqual(
      { file: web.settings.get('bantime')?.pos.file, line: web.settings.get('bantime')?.pos.line, section: web.settings.get('bantime')?.pos.section },
      { file: join(tmp.dir, 'jail.local'), line: 2, section: 'DEFAULT' });
    assert.equal(val(cfg.defaults, 'bantime'), '1h');
  });

  it('resolves DEFAULT references with each jail\'s own values', () => {
    const cfg = loadJailConfig(tmp.dir);
    assert.equal(val(jail(cfg.jails, 'sshd'), 'action'), 'ban[port="ssh"]');
    assert.equal(val(jail(cfg.jails, 'web'), 'action'), 'ban[port="http"]');
  });

  it('lists every jail section in file order, enabled or not', () => {
    const cfg = loadJailConfig(tmp.dir);
    assert.deepEqual(cfg.jails.map((j) => j.name), ['sshd', 'web', 'added']);
  });

  it('keeps %(known/key)s that only a filter can answer for the filter loader', () => {
    const cfg = loadJailConfig(tmp.dir);
    assert.equal(val(jail(cfg.jails, 'sshd'), 'ignoreip'), '%(known/ignoreip)s 192.0.2.1');
  });

  it('falls back to the shipped jail.conf when the config dir has only a jail.local', () => {
    const only = tempConfigDir({ 'jail.local': '[sshd]\nenabled = true\n' });
    try {
      const cfg = loadJailConfig(only.dir);
      assert.equal(cfg.files[0], join(RULES_DIR, 'jail.conf'));
      const sshd = jail(cfg.jails, 'sshd');
      assert.equal(val(sshd, 'enabled'), 'true');
      assert.equal(val(sshd, 'filter'), 'sshd[mode=normal]');
      assert.equal(val(sshd, 'bantime'), '10m');
      assert.equal(val(sshd, 'findtime'), '10m');
      assert.equal(val(sshd, 'maxretry'), '5');
      const recidive = jail(cfg.jails, 'recidive');
      assert.equal(val(recidive, 'port'), 'all');
      assert.equal(val(recidive, 'protocol'), 'all');
      assert.equal(val(recidive, 'bantime'), '1w');
      assert.equal(val(recidive, 'enabled'), 'false');
    } finally {
      only.remove();
    }
  });

  it('ships every jail disabled', () => {
    const empty = tempConfigDir();
    try {
      const cfg = loadJailConfig(empty.dir);
      const names = cfg.jails.map((j) => j.name);
      for (const n of ['sshd', 'apache-auth', 'apache-badbots', 'nginx-http-auth', 'postfix', 'dovecot', 'ufw-port-scan', 'portsentry', 'recidive']) {
        assert.ok(names.includes(n), n);
      }
      for (const j of cfg.jails) assert.equal(val(j, 'enabled'), 'false', j.name);
    } finally {
      empty.remove();
    }
  });

  it('refuses an enabled jail with a loop or a missing reference, naming the key; tolerates it in a disabled jail', () => {
    const bad = tempConfigDir({
      'jail.conf': '[DEFAULT]\nenabled = false\n[a]\nenabled = true\nlogpath = %(b)s\nb = %(logpath)s\n[off]\nlogpath = %(nowhere)s\n',
    });
    try {
      assert.throws(() => loadJailConfig(bad.dir), (e: unknown) =>
        e instanceof ConfigError && e.position.section === 'a' && /interpolation loop/.test(e.message)
        && e.position.file === join(bad.dir, 'jail.conf'));
      bad.write('jail.local', '[a]\nenabled = false\n');
      const cfg = loadJailConfig(bad.dir);
      assert.equal(jail(cfg.jails, 'off').settings.has('logpath'), false);
    } finally {
      bad.remove();
    }
  });

  it('ignores an unresolvable key f2b-fw never reads (as fail2ban does), even in an enabled jail', () => {
    const f2b = tempConfigDir({
      'jail.conf': '[DEFAULT]\naction_cf = cf[user="%(cfemail)s"]\n[sshd]\nenabled = true\nlogpath = /var/log/auth.log\n',
    });
    try {
      const sshd = jail(loadJailConfig(f2b.dir).jails, 'sshd');
      assert.equal(sshd.settings.has('action_cf'), false);
      assert.equal(val(sshd, 'logpath'), '/var/log/auth.log');
    } finally {
      f2b.remove();
    }
  });

  it('reports a syntax error with file and line', () => {
    const bad = tempConfigDir({ 'jail.conf': '[DEFAULT]\nbantime = 1\n', 'jail.local': '[sshd]\nenabled true\n' });
    try {
      assert.throws(() => loadJailConfig(bad.dir), (e: unknown) =>
        e instanceof ConfigError && e.position.file === join(bad.dir, 'jail.local') && e.position.line === 2);
    } finally {
      bad.remove();
    }
  });
});
