import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../src/core/errors.js';
import { RULES_DIR } from '../src/core/paths.js';
import { loadFilterDefinition } from '../src/config/filter-load.js';
import { loadJailConfig } from '../src/config/load.js';
import { parseSpec, splitSpecs } from '../src/config/spec-args.js';
import type { RawSection } from '../src/config/types.js';
import { tempConfigDir } from './support/config-files.js';

const val = (s: RawSection, key: string): string | undefined => s.settings.get(key)?.value;

describe('filter references with arguments', () => {
  const pos = { file: 'jail.local', line: 3, section: 'x', key: 'filter' };
  it('parses bare, quoted and several argument groups', () => {
    const s = parseSpec('sshd[mode=aggressive, k="v, w]", q=\'x\'][extra=1]', pos);
    assert.equal(s.name, 'sshd');
    assert.deepEqual([...s.args], [['mode', 'aggressive'], ['k', 'v, w]'], ['q', 'x'], ['extra', '1']]);
    assert.deepEqual([...parseSpec('  postfix  ', pos).args], []);
    assert.equal(parseSpec('/etc/fail2ban/filter.d/postfix.conf[mode=more]', pos).name, '/etc/fail2ban/filter.d/postfix.conf');
  });
  it('refuses malformed arguments with the position', () => {
    assert.throws(() => parseSpec('sshd[mode]', pos), (e: unknown) => e instanceof ConfigError && e.position.line === 3 && /expected '='/.test(e.message));
    assert.throws(() => parseSpec('sshd[mode="x]', pos), /unterminated/);
    assert.throws(() => parseSpec('sshd[a=1', pos), /missing closing \]/);
    assert.throws(() => parseSpec('[a=1]', pos), /name is missing/);
  });
  it('splits action lists on whitespace outside brackets and quotes', () => {
    assert.deepEqual(splitSpecs('a[x="1 2", y=3]\n   b\n c [z=1]'), ['a[x="1 2", y=3]', 'b', 'c[z=1]']);
  });
});

describe('loadFilterDefinition', () => {
  const tmp = tempConfigDir({
    'filter.d/common.conf': '[DEFAULT]\n__prefix = (?:\\S+ )?\n',
    'filter.d/demo.conf': [
      '[INCLUDES]', 'before = common.conf', '',
      '[Definition]',
      '_daemon = demo',
      'prefregex = ^%(__prefix)s%(_daemon)s: <F-CONTENT>.+</F-CONTENT>$',
      'normal = ^auth failed from <HOST>$',
      'mdre-normal =',
      'mdre-aggressive = ^bad thing from <HOST>$',
      'failregex = %(normal)s',
      '            <mdre-<mode>>',
      'ignoreregex =',
      'mode = normal',
      '',
      '[Init]',
      'maxlines = 1',
      'journalmatch = _SYSTEMD_UNIT=demo.service',
      '',
    ].join('\n'),
    'filter.d/demo.local': '[Definition]\nfailregex = %(known/failregex)s\n            ^local addition <HOST>$\n',
    'filter.d/selfref.conf': '[Definition]\na = <b>\nb = <a>\nfailregex = <a>\n',
    'filter.d/nodef.conf': '[Init]\nmaxlines = 2\n',
    'filter.d/lt.conf': '[DEFAULT]\nlogtype = file\n__prefix = <lt_<logtype>/__prefix>\n[lt_file]\n__prefix = ^\\S+ file:\n'
      + '[lt_journal]\n__prefix = ^journal:\n[Definition]\nfailregex = %(__prefix)s <HOST>$\n    <default/logtype>\n',
  });
  after(() => tmp.remove());

  it('reads the filter with its include, .local (known/) and [Init]; joins lines with \\n', () => {
    const def = loadFilterDefinition(tmp.dir, 'demo');
    assert.equal(def.name, 'demo');
    assert.equal(val(def, 'prefregex'), '^(?:\\S+ )?demo: <F-CONTENT>.+</F-CONTENT>$');
    assert.equal(val(def, 'failregex'), '^auth failed from <HOST>$\n\n^local addition <HOST>$');
    assert.equal(val(def, 'maxlines'), '1');
    assert.equal(val(def, 'journalmatch'), '_SYSTEMD_UNIT=demo.service');
    assert.equal(def.settings.get('failregex')?.pos.file, join(tmp.dir, 'filter.d/demo.local'));
    assert.equal([...def.settings.keys()].some((k) => k.startsWith('known/')), false);
  });

  it('applies arguments: mode selects <mdre-<mode>>, [Init] values are overridden', () => {
    const def = loadFilterDefinition(tmp.dir, 'demo[mode=aggressive, maxlines=3]');
    assert.equal(val(def, 'failregex'), '^auth failed from <HOST>$\n^bad thing from <HOST>$\n^local addition <HOST>$');
    assert.equal(val(def, 'maxlines'), '3');
    assert.equal(val(def, 'mode'), 'aggressive');
  });

  it('lets a jail replace or extend filter keys with %(known/failregex)s', () => {
    tmp.write('jail.conf', '[DEFAULT]\nenabled = false\n[demo]\nfilter = demo[mode=aggressive]\n'
      + 'failregex = %(known/failregex)s\n            ^jail line <HOST>$\nignoreregex = ^ignore me$\n');
    const cfg = loadJailConfig(tmp.dir);
    const j = cfg.jails.find((s) => s.name === 'demo')!;
    const def = loadFilterDefinition(tmp.dir, val(j, 'filter')!, j);
    assert.equal(val(def, 'failregex'), '^auth failed from <HOST>$\n^bad thing from <HOST>$\n^local addition <HOST>$\n^jail line <HOST>$');
    assert.equal(val(def, 'ignoreregex'), '^ignore me$');
    assert.equal(def.settings.get('ignoreregex')?.pos.section, 'demo');
  });

  it('resolves <section/key> tags and picks logtype journal for a systemd jail', () => {
    assert.equal(val(loadFilterDefinition(tmp.dir, 'lt'), 'failregex'), '^\\S+ file: <HOST>$\nfile');
    const jail: RawSection = { name: 'j', settings: new Map([['backend', { value: 'systemd', pos: { file: 'jail.local', section: 'j', key: 'backend' } }]]) };
    assert.equal(val(loadFilterDefinition(tmp.dir, 'lt', jail), 'failregex'), '^journal: <HOST>$\nfile');
  });

  it('takes an empty filter as the jail\'s own failregex (fail2ban\'s `filter =`)', () => {
    const at = { file: 'jail.local', section: 'own', key: 'failregex' };
    const settings = new Map([
      ['filter', { value: '', pos: { ...at, key: 'filter' } }],
      ['failregex', { value: '^kernel: Speed-Test SRC=<ADDR>', pos: at }],
    ]);
    const jail: RawSection = { name: 'own', settings };
    assert.equal(val(loadFilterDefinition(tmp.dir, '', jail), 'failregex'), '^kernel: Speed-Test SRC=<ADDR>');
    settings.delete('failregex');
    assert.throws(() => loadFilterDefinition(tmp.dir, '', jail), /sets no failregex/);
  });

  it('reads a filter given as a file path', () => {
    const def = loadFilterDefinition(tmp.dir, `${join(tmp.dir, 'filter.d/demo.conf')}[mode=aggressive]`);
    assert.match(val(def, 'failregex')!, /bad thing/);
    assert.match(val(def, 'failregex')!, /local addition/, 'the .local next to the file is read too');
  });

  it('refuses self-referencing tags, a missing [Definition], a missing filter and a bad name', () => {
    assert.throws(() => loadFilterDefinition(tmp.dir, 'selfref'), (e: unknown) => e instanceof ConfigError && /refers back to itself/.test(e.message));
    assert.throws(() => loadFilterDefinition(tmp.dir, 'nodef'), /no \[Definition\] section/);
    assert.throws(() => loadFilterDefinition(tmp.dir, 'no-such-filter'), /filter no-such-filter not found/);
    assert.throws(() => loadFilterDefinition(tmp.dir, '..'), /bad filter name/);
  });

  it('falls back to RULES_DIR/filter.d for a filter the config dir lacks', (t) => {
    const shipped = existsSync(join(RULES_DIR, 'filter.d'))
      ? readdirSync(join(RULES_DIR, 'filter.d')).filter((f) => f.endsWith('.conf') && f !== 'common.conf') : [];
    if (shipped.length === 0) {
      t.skip('no shipped filter in rules/filter.d yet');
      return;
    }
    const name = shipped.includes('sshd.conf') ? 'sshd' : shipped[0]!.replace(/\.conf$/, '');
    const empty = tempConfigDir({ 'jail.local': `[${name}]\nenabled = true\n` });
    try {
      const def = loadFilterDefinition(empty.dir, name);
      assert.ok(val(def, 'failregex') !== undefined, `${name} has a failregex`);
      assert.ok(def.settings.get('failregex')!.pos.file.startsWith(RULES_DIR));
      // A custom filter's `before = common.conf` finds the shipped common.conf.
      empty.write('filter.d/custom.conf', '[INCLUDES]\nbefore = common.conf\n[Definition]\nfailregex = ^%(__prefix_line)sbad <HOST>$\n');
      assert.doesNotMatch(val(loadFilterDefinition(empty.dir, 'custom'), 'failregex')!, /%\(/);
      // A .local in the config dir still overrides the shipped .conf.
      empty.write(`filter.d/${name}.local`, '[Definition]\nignoreregex = ^local override$\n');
      assert.equal(val(loadFilterDefinition(empty.dir, name), 'ignoreregex'), '^local override$');
    } finally {
      empty.remove();
    }
  });
});
