import { test } from 'node:test';
import assert from 'node:assert/strict';
import { translatePython } from '../src/filter/pyregex.js';
import { compileFilterRegex } from '../src/filter/compile-regex.js';
import { expandTags } from '../src/filter/tags.js';
import { matchGroups } from '../src/filter/groups.js';
import { ConfigError } from '../src/core/errors.js';

function js(py: string, multiline = false): RegExp {
  const t = translatePython(py, multiline);
  return new RegExp(t.source, t.flags);
}

test('named groups, named back-references and comments', () => {
  const re = js(String.raw`^(?P<word>\w+)-(?P=word)(?#same word twice)$`);
  assert.equal(re.exec('abc-abc')?.groups?.word, 'abc');
  assert.equal(re.test('abc-abd'), false);
});

test('numbered back-references keep pointing at their group', () => {
  const re = js(String.raw`^(a|b)(?P<x>c)\1\2$`);
  assert.ok(re.test('acac'));
  assert.equal(re.test('acbc'), false);
});

test('a leading (?i) folds case into classes, never the i flag', () => {
  const t = translatePython('(?i)failed for [a-c]x');
  assert.equal(t.flags.includes('i'), false);
  const re = new RegExp(t.source, t.flags);
  assert.ok(re.test('FAILED FOR BX'));
  assert.ok(re.test('failed for cx'));
});

test('scoped and fail2ban-style inline flags stay local', () => {
  const re = js('x((?i)LOGIN|PLAIN)y');
  assert.ok(re.test('xloginy'));
  assert.equal(re.test('XLOGINY'), false);
  const scoped = js('a(?i:b)c');
  assert.ok(scoped.test('aBc'));
  assert.equal(scoped.test('ABc'), false);
});

test('flags written later apply to the whole pattern (Python before 3.11)', () => {
  assert.ok(js('abc(?i)').test('ABC'));
});

test('\\A and \\Z in single- and multi-line mode', () => {
  assert.ok(js(String.raw`\Afoo\Z`).test('foo'));
  assert.equal(js(String.raw`\Afoo\Z`).test('foo\n'), false);
  const m = js(String.raw`\Aone$\n^two\Z`, true);
  assert.ok(m.test('one\ntwo'));
  assert.equal(m.test('zero\none\ntwo'), false);
});

test('dotall and verbose flags', () => {
  assert.ok(js('(?s)a.b').test('a\nb'));
  assert.equal(js('a.b').test('a\nb'), false);
  assert.ok(js('(?x) a b  # comment\n c').test('abc'));
});

test('{,n}, a literal { and ] first in a set', () => {
  assert.ok(js('^a{,2}$').test('aa'));
  assert.equal(js('^a{,2}$').test('aaa'), false);
  assert.ok(js('^x{y$').test('x{y'));
  assert.ok(js('^[]a]+$').test(']a]'));
  assert.ok(js('^[^]]+$').test('abc'));
});

test('atomic groups and possessive quantifiers do not give back', () => {
  assert.equal(js('^(?>a+)a$').test('aaa'), false);
  assert.equal(js('^a++a$').test('aaa'), false);
  assert.ok(js('^(?>a+)b$').test('aab'));
});

test('conditional groups are expanded into alternatives', () => {
  const re = js(String.raw`^(?P<q>")?(?P<v>\w+)(?(q)"|!)$`);
  assert.equal(re.exec('"abc"')?.groups?.v, 'abc');
  assert.ok(re.test('abc!'));
  assert.equal(re.test('"abc!'), false);
  assert.equal(re.test('abc"'), false);
});

test('fail2ban sshd conditional failregex matches like Python', () => {
  const py = String.raw`^Failed \S+ for (?P<cond_inv>invalid user )?<F-USER>(?P<cond_user>\S+)|(?(cond_inv)(?:(?! from ).)*?|[^:]+)</F-USER> from <HOST>(?: port \d+)?(?: ssh\d*)?(?(cond_user): |(?:(?:(?! from ).)*)$)`;
  const r = compileFilterRegex(py, { pos: { file: 'sshd.conf' }, usedns: 'no', multiline: false });
  const m = r.re.exec('Failed password for invalid user r00t from 192.0.2.7 port 22 ssh2');
  assert.ok(m);
  const g = matchGroups(m, r.table, {});
  assert.deepEqual([g.ip4, g.user, g.cond_inv], ['192.0.2.7', 'r00t', 'invalid user ']);
  const other = matchGroups(r.re.exec('Failed password for root from 192.0.2.8 port 22 ssh2')!, r.table, {});
  assert.deepEqual([other.ip4, other.user, other.cond_inv], ['192.0.2.8', 'root', undefined]);
});

test('untranslatable constructs are refused with a ConfigError naming regex and construct', () => {
  for (const [py, construct] of [
    ['(?P>name)', 'recursion'],
    [String.raw`\N{DASH}x <HOST>`, 'named Unicode escape'],
    [String.raw`\q <HOST>`, 'bad escape'],
    ['(unclosed <HOST>', 'missing'],
    ['(?m:a) <HOST>', 'scoped multi-line'],
  ] as const) {
    assert.throws(
      () => compileFilterRegex(py, { pos: { file: 'f.conf', section: 'Definition', key: 'failregex' }, usedns: 'no', multiline: false }),
      (e: unknown) => e instanceof ConfigError && e.message.includes('f.conf') && e.message.includes(JSON.stringify(py)) && e.message.includes(construct),
      py,
    );
  }
});

test('<HOST> with usedns=no matches addresses only; with yes also names', () => {
  const ctx = (usedns: 'no' | 'yes') => ({ pos: { file: 'x' }, usedns, multiline: false });
  const no = compileFilterRegex('^from <HOST>$', ctx('no'));
  assert.ok(no.re.test('from 192.0.2.1'));
  assert.ok(no.re.test('from 2001:db8::1'));
  assert.ok(no.re.test('from [2001:db8::1]'));
  assert.equal(no.re.test('from example.com'), false);
  assert.ok(compileFilterRegex('^from <HOST>$', ctx('yes')).re.test('from example.com'));
});

test('custom <F-…> tags become groups; id and port keep fail2ban names', () => {
  const t = expandTags('<F-USER>\\S+</F-USER> <F-ID/> <F-PORT/> <F-MLFID>x</F-MLFID> </F-NEVEROPENED>', 'no');
  assert.match(t, /\(\?P<user>\\S\+\)/);
  assert.match(t, /\(\?P<fid>/);
  assert.match(t, /\(\?P<fport>/);
  assert.match(t, /\(\?P<mlfid>x\)/);
  assert.match(t, /<\/F-NEVEROPENED>/);
});

test('<HOST> regexes stay eligible for the linear-time fallback', () => {
  const r = compileFilterRegex(String.raw`^Invalid user <F-USER>.*?</F-USER> from <HOST>(?: port \d+)?\s*$`, { pos: { file: 'x' }, usedns: 'yes', multiline: false });
  assert.equal(r.linear, true);
  const look = compileFilterRegex(String.raw`^user (?:(?! from ).)* from <HOST>$`, { pos: { file: 'x' }, usedns: 'no', multiline: false });
  assert.equal(look.linear, false);
});
