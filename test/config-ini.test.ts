import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../src/core/errors.js';
import { parseIni } from '../src/config/ini.js';
import { readLayered } from '../src/config/layers.js';
import { resolveKey } from '../src/config/interpolate.js';
import { tempConfigDir } from './support/config-files.js';

describe('INI parser (fail2ban dialect)', () => {
  it('reads = and : separators, lower-cases keys, keeps section case, records lines', () => {
    const ini = parseIni('[DEFAULT]\nBanTime = 1h\n\n[MyJail]\nport: ssh\nfilter=sshd\n', 'x.conf');
    assert.equal(ini.defaults.get('bantime')?.value, '1h');
    assert.equal(ini.defaults.get('bantime')?.line, 2);
    assert.equal(ini.sections[0]!.name, 'MyJail');
    assert.equal(ini.sections[0]!.entries.get('port')?.value, 'ssh');
    assert.equal(ini.sections[0]!.entries.get('filter')?.value, 'sshd');
    assert.equal(ini.sections[0]!.entries.get('filter')?.line, 6);
  });

  it('splits at the first separator: a value may contain = and :', () => {
    const ini = parseIni('[a]\nfailregex = ^x=(?P<h>\\S+):1 $\n', 'x.conf');
    assert.equal(ini.sections[0]!.entries.get('failregex')?.value, '^x=(?P<h>\\S+):1 $');
  });

  it('drops # and ; comment lines and inline "; comments" but keeps # inside values', () => {
    const ini = parseIni('# top\n[a]\n; note\nk = v1 ; inline\nre = ^a#b;c$\n  # indented comment\n', 'x.conf');
    assert.equal(ini.sections[0]!.entries.get('k')?.value, 'v1');
    assert.equal(ini.sections[0]!.entries.get('re')?.value, '^a#b;c$');
  });

  it('joins indented continuation lines with \\n, keeps inner blank lines, drops trailing ones', () => {
    const text = '[Definition]\nfailregex = ^one$\n            ^two$\n\n            ^three$\n\nignoreregex =\n';
    const ini = parseIni(text, 'f.conf');
    assert.equal(ini.sections[0]!.entries.get('failregex')?.value, '^one$\n^two$\n\n^three$');
    assert.equal(ini.sections[0]!.entries.get('ignoreregex')?.value, '');
  });

  it('ignores a comment line inside a multi-line value', () => {
    const ini = parseIni('[a]\nk = one\n    # not part of it\n    two\n', 'x.conf');
    assert.equal(ini.sections[0]!.entries.get('k')?.value, 'one\ntwo');
  });

  it('refuses a key outside a section, a bad line, duplicates — naming file and line', () => {
    assert.throws(() => parseIni('k = v\n', '/etc/x.conf'), (e: unknown) =>
      e instanceof ConfigError && e.position.line === 1 && /\/etc\/x\.conf:1/.test(e.message));
    assert.throws(() => parseIni('[a]\njust words\n', 'x.conf'), (e: unknown) =>
      e instanceof ConfigError && e.position.line === 2 && e.position.section === 'a');
    assert.throws(() => parseIni('[a]\nk = 1\nK = 2\n', 'x.conf'), (e: unknown) =>
      e instanceof ConfigError && e.position.line === 3 && e.position.key === 'k' && /first on line 2/.test(e.message));
    assert.throws(() => parseIni('[a]\n[b]\n[a]\n', 'x.conf'), /section \[a\] appears twice/);
  });
});

describe('layering, includes and interpolation', () => {
  const tmp = tempConfigDir({
    'base.conf': '[INCLUDES]\nbefore = common.conf\nafter = extra.conf\n[DEFAULT]\nport = ssh\nrule = %(port)s/%(__name__)s\n[s]\nk = base\nlist = a\n',
    'common.conf': '[DEFAULT]\nport = 0:65535\nfromcommon = yes\n[s]\nk = common\n',
    'common.local': '[s]\nk = common-local\n',
    'extra.conf': '[s]\nextra = 1\n',
    'base.local': '[s]\nk = local\nlist = %(known/list)s b\n[t]\nport = 443\nrule2 = %(s/k)s\n',
    'loop.conf': '[DEFAULT]\na = %(b)s\nb = %(c)s\nc = %(a)s\n[j]\nx = %(a)s\nbad = 100%\nmissing = %(nope)s\n',
  });
  after(() => tmp.remove());

  const store = readLayered([`${tmp.dir}/base.conf`]);

  it('reads before-includes, the file, its .local and after-includes in fail2ban order', () => {
    const names = store.files.map((f) => f.slice(tmp.dir.length + 1));
    assert.deepEqual(names, ['common.conf', 'common.local', 'base.conf', 'extra.conf', 'base.local']);
  });

  it('later layers override earlier ones key by key, with positions', () => {
    const r = resolveKey({ store, section: 's' }, 'k')!;
    assert.equal(r.value, 'local');
    assert.equal(r.pos.file, `${tmp.dir}/base.local`);
    assert.equal(r.pos.line, 2);
    assert.equal(resolveKey({ store, section: 's' }, 'extra')?.value, '1');
    assert.equal(resolveKey({ store, section: 's' }, 'fromcommon')?.value, 'yes');
  });

  it('resolves DEFAULT values in the section that reads them, and __name__', () => {
    assert.equal(resolveKey({ store, section: 's' }, 'rule')?.value, 'ssh/s');
    assert.equal(resolveKey({ store, section: 't' }, 'rule')?.value, '443/t');
  });

  it('resolves %(known/key)s to the value before the override, and %(section/key)s', () => {
    assert.equal(resolveKey({ store, section: 's' }, 'list')?.value, 'a b');
    assert.equal(resolveKey({ store, section: 't' }, 'rule2')?.value, 'local');
  });

  it('resolves %(known/key)s written in [DEFAULT] to the earlier DEFAULT, also when a section reads it', () => {
    const t2 = tempConfigDir({
      'a.conf': '[DEFAULT]\nignoreip = 127.0.0.1/8\n[j]\nk = 1\n',
      'a.local': '[DEFAULT]\nignoreip = %(known/ignoreip)s 192.0.2.0/24\n[j]\nown = %(known/ignoreip)s x\n',
    });
    try {
      const s = readLayered([`${t2.dir}/a.conf`]);
      assert.equal(resolveKey({ store: s, section: 'DEFAULT' }, 'ignoreip')?.value, '127.0.0.1/8 192.0.2.0/24');
      assert.equal(resolveKey({ store: s, section: 'j' }, 'ignoreip')?.value, '127.0.0.1/8 192.0.2.0/24');
      // Nothing earlier in [j]: the DEFAULT value as the jail sees it.
      assert.equal(resolveKey({ store: s, section: 'j' }, 'own')?.value, '127.0.0.1/8 192.0.2.0/24 x');
    } finally {
      t2.remove();
    }
  });

  it('reports an interpolation loop naming the keys, a bad % and a missing key', () => {
    const l = readLayered([`${tmp.dir}/loop.conf`]);
    assert.throws(() => resolveKey({ store: l, section: 'j' }, 'x'), (e: unknown) =>
      e instanceof ConfigError && /interpolation loop: x -> a -> b -> c -> a/.test(e.message) && e.position.key === 'x');
    assert.throws(() => resolveKey({ store: l, section: 'j' }, 'bad'), /write %% for a literal %/);
    assert.throws(() => resolveKey({ store: l, section: 'j' }, 'missing'), (e: unknown) =>
      e instanceof ConfigError && /%\(nope\)s refers to a key not set in \[j\]/.test(e.message) && e.position.line === 8);
  });

  it('does not loop on files that include each other', () => {
    const t2 = tempConfigDir({
      'a.conf': '[INCLUDES]\nafter = b.conf\n[s]\nk = a\n',
      'b.conf': '[INCLUDES]\nbefore = a.conf\n[s]\nk = b\n',
    });
    try {
      const s = readLayered([`${t2.dir}/a.conf`]);
      assert.equal(resolveKey({ store: s, section: 's' }, 'k')?.value, 'b');
    } finally {
      t2.remove();
    }
  });
});
