/** Glob patterns as fail2ban's logpath reads them, and the position rules, on real directories. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { expandGlob, hasMagic, segmentMatches, segmentRegExp } from '../src/sources/glob.js';
import { endOfLastLine, firstLineHash, headHash, resumeOffset } from '../src/sources/position.js';
import { tempDir } from './support/source-harness.js';

const m = (pattern: string, name: string): boolean => segmentMatches(pattern, segmentRegExp(pattern), name);

test('segment patterns: *, ?, [..], [!..], literal dots and regex characters, hidden files', () => {
  assert.ok(m('*.log', 'auth.log'));
  assert.ok(!m('*.log', 'auth.log.1'));
  assert.ok(m('auth.log*', 'auth.log.1'));
  assert.ok(m('error?.log', 'error1.log'));
  assert.ok(!m('error?.log', 'error.log'));
  assert.ok(m('site[0-9].log', 'site7.log'));
  assert.ok(!m('site[!0-9].log', 'site7.log'));
  assert.ok(m('site[!0-9].log', 'siteX.log'));
  assert.ok(!m('a.log', 'aXlog'), 'a dot is literal');
  assert.ok(m('(x)+.log', '(x)+.log'), 'regex characters are literal');
  assert.ok(!m('*.log', '.hidden.log'), 'a wildcard does not match a leading dot');
  assert.ok(m('.*.log', '.hidden.log'));
  assert.ok(hasMagic('/var/log/*.log') && !hasMagic('/var/log/auth.log'));
});

test('expansion: literal paths stay (existing or not), wildcards find regular files only, in order', async () => {
  const t = tempDir('globx');
  try {
    mkdirSync(join(t.dir, 'a'));
    mkdirSync(join(t.dir, 'b'));
    mkdirSync(join(t.dir, 'b', 'dir.log'));
    writeFileSync(join(t.dir, 'a', 'x.log'), '');
    writeFileSync(join(t.dir, 'b', 'y.log'), '');
    writeFileSync(join(t.dir, 'b', 'z.txt'), '');
    assert.deepEqual(await expandGlob(join(t.dir, 'missing.log')), { dirs: [t.dir], files: [join(t.dir, 'missing.log')], parents: [], failed: new Map() });
    const e = await expandGlob(join(t.dir, '*', '*.log'));
    assert.deepEqual(e.files, [join(t.dir, 'a', 'x.log'), join(t.dir, 'b', 'y.log')]);
    assert.deepEqual(e.dirs, [join(t.dir, 'a'), join(t.dir, 'b')]);
    assert.deepEqual(e.parents, [t.dir]);
    const none = await expandGlob(join(t.dir, 'nope', '*.log'));
    assert.deepEqual([none.files, none.failed.size], [[], 0], 'a missing directory is no listing failure');
    const notDir = await expandGlob(join(t.dir, 'b', 'z.txt', '*.log'));
    assert.deepEqual([...notDir.failed.keys()], [join(t.dir, 'b', 'z.txt')]);
  } finally {
    t.cleanup();
  }
});

test('resume rules: same first line → saved offset; other first line or shorter file → 0; nothing saved → undefined', () => {
  const saved = { offset: 100, firstLineHash: 'h1', inode: 5 };
  assert.equal(resumeOffset(saved, { size: 150, firstLineHash: 'h1' }), 100);
  assert.equal(resumeOffset(saved, { size: 150, firstLineHash: 'h2' }), 0);
  assert.equal(resumeOffset(saved, { size: 50, firstLineHash: 'h1' }), 0);
  assert.equal(resumeOffset(undefined, { size: 50, firstLineHash: 'h1' }), undefined);
});

test('first-line hash and end of the last complete line on a real file', async () => {
  const t = tempDir('hashx');
  const path = join(t.dir, 'f.log');
  try {
    writeFileSync(path, 'first line\nsecond\npartial');
    const fh = await open(path, 'r');
    try {
      const h = await firstLineHash(fh, 4096);
      assert.equal(h, headHash(Buffer.from('first line\nwhatever'), 4096));
      assert.notEqual(h, headHash(Buffer.from('first linf\n'), 4096));
      assert.equal(headHash(Buffer.from('no newline yet'), 4096), '', 'an incomplete first line has no hash yet');
      assert.notEqual(headHash(Buffer.alloc(5000, 'x'), 4096), '', 'a first line longer than the cap is hashed on its first bytes');
      assert.equal(await endOfLastLine(fh, 26, 4096), 'first line\nsecond\n'.length);
    } finally {
      await fh.close();
    }
  } finally {
    t.cleanup();
  }
});
