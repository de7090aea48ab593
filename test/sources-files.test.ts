/**
 * File sources on real files in temp dirs, for each backend: start at the end,
 * partial lines, several paths and globs, new files, positions across restarts,
 * first-line hash changes, the length cap through a real file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createSources, type LogSource } from '../src/sources/source.js';
import { MemoryPositionStore } from '../src/sources/position.js';
import { Collector, JsonFilePositionStore, TEST_TUNING, checked, numbered, tempDir } from './support/source-harness.js';

for (const backend of ['inotify', 'polling'] as const) {
  test(`[${backend}] a file never seen starts at its end; appended lines arrive with path and clock time`, async () => {
    const t = tempDir('end');
    const path = join(t.dir, 'auth.log');
    writeFileSync(path, numbered('old', 50) + 'being written'); // the line being written is handed out whole
    const c = new Collector();
    const src = createSources({ logpath: [path], backend }, c.deps(new MemoryPositionStore()));
    try {
      await src.start();
      appendFileSync(path, ' rest\n' + numbered('new', 3));
      assert.ok(await c.waitLines(4), `got ${JSON.stringify(c.texts())}`);
      await checked(src);
      assert.deepEqual(c.texts(), ['being written rest', 'new-0', 'new-1', 'new-2']);
      assert.deepEqual(c.lines[1], { source: path, text: 'new-0', readAt: 1_700_000_000_000, cut: false });
      assert.deepEqual(c.errors, []);
    } finally {
      await src.stop();
      t.cleanup();
    }
  });

  test(`[${backend}] a partial line is held until its newline is written`, async () => {
    const t = tempDir('partial');
    const path = join(t.dir, 'app.log');
    writeFileSync(path, '');
    const c = new Collector();
    const src = createSources({ logpath: [path], backend }, c.deps(new MemoryPositionStore()));
    try {
      await src.start();
      appendFileSync(path, 'complete\nhalf of a');
      assert.ok(await c.waitLines(1));
      await checked(src);
      assert.deepEqual(c.texts(), ['complete']);
      appendFileSync(path, ' line\n');
      assert.ok(await c.waitLines(2));
      assert.deepEqual(c.texts(), ['complete', 'half of a line']);
    } finally {
      await src.stop();
      t.cleanup();
    }
  });

  test(`[${backend}] several paths and a glob feed one onLine; a new file matching the glob is read from its start`, async () => {
    const t = tempDir('glob');
    mkdirSync(join(t.dir, 'sites'));
    const a = join(t.dir, 'a.log');
    const s1 = join(t.dir, 'sites', 'one.access.log');
    writeFileSync(a, 'a-old\n');
    writeFileSync(s1, 's1-old\n');
    writeFileSync(join(t.dir, 'sites', 'one.error.log'), 'not matched\n');
    const c = new Collector();
    const src = createSources({ logpath: [a, join(t.dir, 's*', '*.access.log')], backend }, c.deps(new MemoryPositionStore()));
    try {
      await src.start();
      appendFileSync(a, 'a-new\n');
      appendFileSync(s1, 's1-new\n');
      appendFileSync(join(t.dir, 'sites', 'one.error.log'), 'still not matched\n');
      assert.ok(await c.waitLines(2));
      const s2 = join(t.dir, 'sites', 'two.access.log');
      writeFileSync(s2, numbered('s2', 3));
      assert.ok(await c.waitLines(5), `got ${JSON.stringify(c.texts())}`);
      appendFileSync(s2, 's2-more\n');
      assert.ok(await c.waitLines(6));
      await checked(src);
      assert.deepEqual(c.texts(a), ['a-new']);
      assert.deepEqual(c.texts(s1), ['s1-new']);
      assert.deepEqual(c.texts(s2), ['s2-0', 's2-1', 's2-2', 's2-more']);
      assert.equal(c.lines.length, 6);
    } finally {
      await src.stop();
      t.cleanup();
    }
  });

  test(`[${backend}] a glob that matches nothing at start picks up the first matching file; no error meanwhile`, async () => {
    const t = tempDir('glob-empty');
    const c = new Collector();
    const src = createSources({ logpath: [join(t.dir, '*.log')], backend }, c.deps(new MemoryPositionStore()));
    try {
      await src.start();
      await checked(src);
      writeFileSync(join(t.dir, 'first.log'), 'hello\n');
      assert.ok(await c.waitLines(1));
      assert.deepEqual(c.texts(), ['hello']);
      assert.deepEqual(c.errors, []);
    } finally {
      await src.stop();
      t.cleanup();
    }
  });

  test(`[${backend}] positions survive a restart: lines written while stopped are read exactly once`, async () => {
    const t = tempDir('resume');
    const path = join(t.dir, 'auth.log');
    const store = new JsonFilePositionStore(join(t.dir, 'positions.json'));
    writeFileSync(path, numbered('before', 5));
    const c1 = new Collector();
    const first: LogSource = createSources({ logpath: [path], backend }, c1.deps(store));
    await first.start();
    appendFileSync(path, numbered('run1', 4) + 'half');
    assert.ok(await c1.waitLines(4));
    await first.stop();
    assert.deepEqual(c1.texts(), ['run1-0', 'run1-1', 'run1-2', 'run1-3']);
    const saved = store.get(path)!;
    assert.equal(saved.offset, Buffer.byteLength(numbered('before', 5) + numbered('run1', 4)), 'offset stops before the partial line');
    assert.match(saved.firstLineHash, /^[0-9a-f]{64}$/);
    assert.equal(typeof saved.inode, 'number');

    appendFileSync(path, ' done\n' + numbered('stopped', 3));
    const c2 = new Collector();
    const second = createSources({ logpath: [path], backend }, c2.deps(store));
    try {
      await second.start();
      assert.ok(await c2.waitLines(4));
      await checked(second);
      assert.deepEqual(c2.texts(), ['half done', 'stopped-0', 'stopped-1', 'stopped-2']);
    } finally {
      await second.stop();
      t.cleanup();
    }
  });

  test(`[${backend}] rotated while stopped: the rest of the old file (found by inode) and then the new file, each line once`, async () => {
    const t = tempDir('rotated-stopped');
    const path = join(t.dir, 'auth.log');
    const store = new MemoryPositionStore();
    writeFileSync(path, numbered('gen1', 3));
    const c1 = new Collector();
    const first = createSources({ logpath: [path, join(t.dir, 'auth.log.*')], backend }, c1.deps(store));
    await first.start();
    await first.stop();
    appendFileSync(path, numbered('gen1-late', 2)); // logged after our stop, before the rotation
    renameSync(path, `${path}.1`);
    writeFileSync(path, numbered('gen2', 4));
    const c2 = new Collector();
    const second = createSources({ logpath: [path, join(t.dir, 'auth.log.*')], backend }, c2.deps(store));
    try {
      await second.start();
      assert.ok(await c2.waitLines(6));
      await checked(second);
      assert.deepEqual(c2.texts(`${path}.1`), ['gen1-late-0', 'gen1-late-1']);
      assert.deepEqual(c2.texts(path), ['gen2-0', 'gen2-1', 'gen2-2', 'gen2-3']);
      appendFileSync(`${path}.1`, 'very late\n');
      assert.ok(await c2.waitLines(7), 'the rotated file, matched by the glob, is followed from where the rest ended');
      await checked(second);
      assert.equal(c2.lines.length, 7);
    } finally {
      await second.stop();
      t.cleanup();
    }
  });

  test(`[${backend}] a file replaced while stopped (first line differs) is read from 0`, async () => {
    const t = tempDir('hash');
    const path = join(t.dir, 'auth.log');
    const store = new MemoryPositionStore();
    writeFileSync(path, numbered('gen1', 3));
    const c1 = new Collector();
    const first = createSources({ logpath: [path], backend }, c1.deps(store));
    await first.start();
    await first.stop();
    assert.equal(store.get(path)!.offset, Buffer.byteLength(numbered('gen1', 3)));
    writeFileSync(path, numbered('gen2', 10)); // longer than the old offset: only the hash tells
    const c2 = new Collector();
    const second = createSources({ logpath: [path], backend }, c2.deps(store));
    try {
      await second.start();
      assert.ok(await c2.waitLines(10));
      assert.deepEqual(c2.texts(), numbered('gen2', 10).trimEnd().split('\n'));
    } finally {
      await second.stop();
      t.cleanup();
    }
  });
}

test('[inotify] a new directory matching a wildcard directory segment is watched at once (no waiting for the safety poll)', async () => {
  const t = tempDir('glob-dir');
  const c = new Collector();
  const src = createSources({ logpath: [join(t.dir, 'site-*', 'access.log')], backend: 'inotify' },
    c.deps(new MemoryPositionStore(), { tuning: { ...TEST_TUNING, safetyPollMs: 600_000 } }));
  try {
    await src.start();
    mkdirSync(join(t.dir, 'site-a'));
    writeFileSync(join(t.dir, 'site-a', 'access.log'), 'a1\n');
    assert.ok(await c.waitLines(1, 5000), 'picked up');
    mkdirSync(join(t.dir, 'site-b'));
    writeFileSync(join(t.dir, 'site-b', 'access.log'), 'b1\n');
    assert.ok(await c.waitLines(2, 5000));
    appendFileSync(join(t.dir, 'site-a', 'access.log'), 'a2\n');
    assert.ok(await c.waitLines(3, 5000));
    assert.deepEqual(c.texts().sort(), ['a1', 'a2', 'b1']);
  } finally {
    await src.stop();
    t.cleanup();
  }
});

test('a 10 MB line without newline in a real file is cut, memory stays bounded, the next line is whole', async () => {
  const t = tempDir('long');
  const path = join(t.dir, 'evil.log');
  writeFileSync(path, '');
  const c = new Collector();
  const src = createSources({ logpath: [path], backend: 'polling' }, c.deps(new MemoryPositionStore()));
  try {
    await src.start();
    const mb = Buffer.alloc(1 << 20, 'A');
    const heapBefore = process.memoryUsage().heapUsed;
    for (let i = 0; i < 10; i++) appendFileSync(path, mb);
    await checked(src);
    assert.equal(c.lines.length, 0, 'nothing handed out before the newline');
    assert.ok(process.memoryUsage().heapUsed - heapBefore < 8 << 20, 'the line is not accumulated in memory');
    appendFileSync(path, 'AAAA\nnext line\n');
    assert.ok(await c.waitLines(2));
    assert.equal(c.lines[0]!.text.length, 4096);
    assert.equal(c.lines[1]!.text, 'next line');
  } finally {
    await src.stop();
    t.cleanup();
  }
});

test('[auto] inotify where it works: appended lines arrive', async () => {
  const t = tempDir('inotify-only');
  const path = join(t.dir, 'x.log');
  writeFileSync(path, 'x\n');
  const c = new Collector();
  const src = createSources({ logpath: [path], backend: 'auto' }, c.deps(new MemoryPositionStore()));
  try {
    await src.start();
    appendFileSync(path, 'y\n');
    assert.ok(await c.waitLines(1));
    assert.deepEqual(c.texts(), ['y']);
  } finally {
    await src.stop();
    t.cleanup();
  }
});
