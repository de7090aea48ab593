/**
 * Real rotation and real failures, for each backend: rename + create with a writer
 * that keeps writing to the old file for a moment (as syslog does until HUP),
 * copytruncate, deletion, a directory where a file should be, a missing directory,
 * and permission denied (a child dropped to `nobody` with setpriv).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import {
  appendFileSync, chmodSync, cpSync, rmSync, closeSync, copyFileSync, mkdirSync, openSync, renameSync, rmdirSync,
  symlinkSync, truncateSync, unlinkSync, writeFileSync, writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createSources } from '../src/sources/source.js';
import { MemoryPositionStore } from '../src/sources/position.js';
import { Collector, checked, numbered, tempDir } from './support/source-harness.js';
import { ManualClock } from './support/manual-clock.js';
import { waitFor } from './support/netns.js';

function expectEachOnce(got: string[], expected: string[]): void {
  assert.equal(got.length, expected.length, `got ${got.length} lines, expected ${expected.length}`);
  assert.deepEqual([...got].sort(), [...expected].sort(), 'every line exactly once');
}

for (const backend of ['inotify', 'polling'] as const) {
  test(`[${backend}] rotation by rename: rest of the old file (late writes too), then the new one from 0, nothing lost or doubled`, async () => {
    const t = tempDir('rename');
    const path = join(t.dir, 'auth.log');
    writeFileSync(path, 'before start\n');
    const c = new Collector();
    const src = createSources({ logpath: [path], backend }, c.deps(new MemoryPositionStore()));
    let oldFd = openSync(path, 'a');
    try {
      await src.start();
      writeSync(oldFd, numbered('a', 100));
      renameSync(path, `${path}.1`); // logrotate's default
      writeSync(oldFd, numbered('late', 5)); // the daemon has not been told yet
      const newFd = openSync(path, 'a'); // create
      writeSync(newFd, numbered('b', 50));
      writeSync(oldFd, numbered('late', 5, 5)); // still within the grace period
      closeSync(oldFd);
      oldFd = newFd;
      assert.ok(await c.waitLines(160), `got ${c.lines.length}`);
      writeSync(newFd, numbered('b', 10, 50));
      assert.ok(await c.waitLines(170));
      await checked(src);
      const expected = [numbered('a', 100), numbered('late', 10), numbered('b', 60)].join('').trimEnd().split('\n');
      expectEachOnce(c.texts(), expected);
      const bs = c.texts().filter((l) => l.startsWith('b-'));
      assert.deepEqual(bs, numbered('b', 60).trimEnd().split('\n'), 'the new file in order');
      assert.deepEqual(c.errors, []);
    } finally {
      closeSync(oldFd);
      await src.stop();
      t.cleanup();
    }
  });

  test(`[${backend}] copytruncate: a shrunk file is read from 0, also when rewritten past the old offset`, async () => {
    const t = tempDir('copytrunc');
    const path = join(t.dir, 'app.log');
    writeFileSync(path, '');
    const c = new Collector();
    const src = createSources({ logpath: [path], backend }, c.deps(new MemoryPositionStore()));
    const fd = openSync(path, 'a'); // O_APPEND, as copytruncate requires of writers
    try {
      await src.start();
      writeSync(fd, numbered('one', 100));
      assert.ok(await c.waitLines(100));
      copyFileSync(path, `${path}.1`);
      truncateSync(path, 0);
      writeSync(fd, numbered('two', 10)); // shorter than before
      assert.ok(await c.waitLines(110), `got ${c.lines.length}`);
      copyFileSync(path, `${path}.2`);
      truncateSync(path, 0);
      writeSync(fd, numbered('three', 300)); // longer than before, in one go: only the first-line hash tells
      assert.ok(await c.waitLines(410), `got ${c.lines.length}`);
      await checked(src);
      expectEachOnce(c.texts(), [numbered('one', 100), numbered('two', 10), numbered('three', 300)].join('').trimEnd().split('\n'));
    } finally {
      closeSync(fd);
      await src.stop();
      t.cleanup();
    }
  });

  test(`[${backend}] a deleted file is reported with its path and retried; the other file keeps flowing; re-created it is read from 0`, async () => {
    const t = tempDir('delete');
    const gone = join(t.dir, 'gone.log');
    const other = join(t.dir, 'other.log');
    writeFileSync(gone, 'x\n');
    writeFileSync(other, '');
    const c = new Collector();
    const delays = new ManualClock();
    const src = createSources({ logpath: [gone, other], backend }, c.deps(new MemoryPositionStore(), { delays }));
    try {
      await src.start();
      appendFileSync(gone, 'last words\n');
      assert.ok(await c.waitLines(1));
      unlinkSync(gone);
      assert.ok(await c.waitError(gone), 'deletion reported');
      const err = c.errors.find((e) => e.err.message.includes(gone))!;
      assert.equal(err.source, gone);
      assert.match(err.err.message, /does not exist/);
      appendFileSync(other, 'other keeps going\n');
      assert.ok(await c.waitLines(2));
      for (let i = 0; i < 5; i++) { // several retries pass (the backoff grows to retryMaxMs)
        await delays.advance(400);
        await checked(src);
      }
      assert.equal(c.errors.length, 1, 'reported once, retried quietly');
      writeFileSync(gone, numbered('reborn', 3));
      await delays.advance(400); // the next retry finds it
      assert.ok(await c.waitLines(5), `got ${JSON.stringify(c.texts())}`);
      assert.deepEqual(c.texts(gone), ['last words', 'reborn-0', 'reborn-1', 'reborn-2']);
      assert.deepEqual(c.texts(other), ['other keeps going']);
    } finally {
      await src.stop();
      t.cleanup();
    }
  });

  test(`[${backend}] a directory where a log file should be, and a missing directory, are reported and recovered`, async () => {
    const t = tempDir('baddir');
    const isDir = join(t.dir, 'isdir.log');
    const later = join(t.dir, 'later', 'app.log');
    const fine = join(t.dir, 'fine.log');
    mkdirSync(isDir);
    writeFileSync(fine, '');
    const c = new Collector();
    const src = createSources({ logpath: [isDir, later, fine], backend }, c.deps(new MemoryPositionStore()));
    try {
      await src.start();
      assert.ok(await c.waitError(isDir));
      assert.ok(await c.waitError(later));
      assert.match(c.errors.find((e) => e.source === isDir)!.err.message, /is a directory/);
      appendFileSync(fine, 'fine\n');
      assert.ok(await c.waitLines(1));
      rmdirSync(isDir);
      writeFileSync(isDir, 'now a file\n');
      mkdirSync(join(t.dir, 'later'));
      writeFileSync(later, 'later\n');
      assert.ok(await c.waitLines(3), `got ${JSON.stringify(c.texts())}`);
      assert.deepEqual(c.texts(isDir), ['now a file']);
      assert.deepEqual(c.texts(later), ['later']);
      appendFileSync(later, 'and more\n');
      assert.ok(await c.waitLines(4));
    } finally {
      await src.stop();
      t.cleanup();
    }
  });
}

for (const backend of ['inotify', 'polling'] as const) {
  test(`[${backend}] a glob that also matches the rotated name (app.log*): rename rotation still reads every line once`, async () => {
    const t = tempDir('glob-rename');
    const path = join(t.dir, 'app.log');
    writeFileSync(path, 'before start\n');
    const c = new Collector();
    const delays = new ManualClock();
    const src = createSources({ logpath: [join(t.dir, 'app.log*')], backend }, c.deps(new MemoryPositionStore(), { delays }));
    let oldFd = openSync(path, 'a');
    try {
      await src.start();
      writeSync(oldFd, numbered('a', 50));
      assert.ok(await c.waitLines(50));
      renameSync(path, `${path}.1`);
      writeSync(oldFd, numbered('late', 3));
      const newFd = openSync(path, 'a');
      writeSync(newFd, numbered('b', 20));
      assert.ok(await c.waitLines(73), `got ${c.lines.length}`);
      await delays.advance(1000); // past the rotation grace: app.log.1 is now only a glob match
      await checked(src);
      writeSync(oldFd, numbered('late', 2, 3)); // very late writes still count, once
      closeSync(oldFd);
      oldFd = newFd;
      assert.ok(await c.waitLines(75), `got ${c.lines.length}`);
      await checked(src);
      expectEachOnce(c.texts(), [numbered('a', 50), numbered('late', 5), numbered('b', 20)].join('').trimEnd().split('\n'));
      assert.deepEqual(c.errors, []);
    } finally {
      closeSync(oldFd);
      await src.stop();
      t.cleanup();
    }
  });

  test(`[${backend}] a glob that also matches the copy (app.log*): copytruncate still reads every line once`, async () => {
    const t = tempDir('glob-copy');
    const path = join(t.dir, 'app.log');
    writeFileSync(path, '');
    const c = new Collector();
    const src = createSources({ logpath: [join(t.dir, 'app.log*')], backend }, c.deps(new MemoryPositionStore()));
    const fd = openSync(path, 'a');
    try {
      await src.start();
      writeSync(fd, numbered('one', 40));
      assert.ok(await c.waitLines(40));
      copyFileSync(path, `${path}.1`);
      truncateSync(path, 0);
      writeSync(fd, numbered('two', 10));
      assert.ok(await c.waitLines(50), `got ${c.lines.length}`);
      await checked(src);
      expectEachOnce(c.texts(), [numbered('one', 40), numbered('two', 10)].join('').trimEnd().split('\n'));
    } finally {
      closeSync(fd);
      await src.stop();
      t.cleanup();
    }
  });

  test(`[${backend}] a glob match that is deleted is dropped quietly; a symlink to a followed file is not read twice`, async () => {
    const t = tempDir('glob-delete');
    const a = join(t.dir, 'a.log');
    const b = join(t.dir, 'b.log');
    writeFileSync(a, '');
    writeFileSync(b, '');
    symlinkSync(a, join(t.dir, 'link.log'));
    const c = new Collector();
    const src = createSources({ logpath: [join(t.dir, '*.log')], backend }, c.deps(new MemoryPositionStore()));
    try {
      await src.start();
      appendFileSync(a, 'a1\n');
      appendFileSync(b, 'b1\n');
      assert.ok(await c.waitLines(2));
      unlinkSync(b);
      appendFileSync(a, 'a2\n');
      assert.ok(await c.waitLines(3));
      await checked(src);
      assert.deepEqual(c.errors, [], 'a vanished glob match is not an error');
      assert.deepEqual(c.texts().sort(), ['a1', 'a2', 'b1']);
      writeFileSync(b, 'b again\n');
      assert.ok(await c.waitLines(4));
      assert.deepEqual(c.texts(b), ['b1', 'b again']);
    } finally {
      await src.stop();
      t.cleanup();
    }
  });
}

for (const backend of ['inotify', 'polling'] as const) {
  test(`[${backend}] the log directory removed and re-created: reported, then the new file is read from 0`, async () => {
    const t = tempDir('dir-gone');
    const dir = join(t.dir, 'app');
    const path = join(dir, 'app.log');
    mkdirSync(dir);
    writeFileSync(path, '');
    const c = new Collector();
    const src = createSources({ logpath: [path], backend }, c.deps(new MemoryPositionStore()));
    try {
      await src.start();
      appendFileSync(path, 'first\n');
      assert.ok(await c.waitLines(1));
      rmSync(dir, { recursive: true });
      assert.ok(await c.waitError(path));
      mkdirSync(dir);
      writeFileSync(path, numbered('again', 2));
      assert.ok(await c.waitLines(3), `got ${JSON.stringify(c.texts())}`);
      appendFileSync(path, 'more\n');
      assert.ok(await c.waitLines(4));
      assert.deepEqual(c.texts(), ['first', 'again-0', 'again-1', 'more']);
    } finally {
      await src.stop();
      t.cleanup();
    }
  });
}

/** A poll ticker the test fires by hand: one call of `tick()` is one poll of every file. */
function manualTicker(): { startInterval: (fn: () => void) => () => void; tick(): void } {
  let fire: (() => void) | null = null;
  return {
    startInterval: (fn) => { fire = fn; return () => { fire = null; }; },
    tick: () => fire?.(),
  };
}

for (const glob of [false, true]) {
  test(`[polling] copytruncate between two polls: the lines written since the last poll are read from the copy${glob ? ' (glob matching the copy)' : ''}, once`, async () => {
    const t = tempDir('poll-copytrunc');
    const path = join(t.dir, 'app.log');
    writeFileSync(path, '');
    const c = new Collector();
    const ticker = manualTicker();
    const src = createSources({ logpath: [glob ? join(t.dir, 'app.log*') : path], backend: 'polling' },
      c.deps(new MemoryPositionStore(), { startInterval: ticker.startInterval }));
    const fd = openSync(path, 'a');
    try {
      await src.start();
      writeSync(fd, numbered('one', 40));
      ticker.tick();
      assert.ok(await c.waitLines(40));
      writeSync(fd, numbered('unpolled', 7)); // written after the last poll…
      copyFileSync(path, `${path}.1`); // …then logrotate's copytruncate
      truncateSync(path, 0);
      writeSync(fd, numbered('two', 5));
      ticker.tick();
      assert.ok(await c.waitLines(52), `got ${c.lines.length}: ${c.texts().slice(40).join(' ')}`);
      ticker.tick();
      ticker.tick();
      writeSync(fd, numbered('three', 1));
      ticker.tick();
      assert.ok(await c.waitLines(53));
      expectEachOnce(c.texts(), [numbered('one', 40), numbered('unpolled', 7), numbered('two', 5), numbered('three', 1)].join('').trimEnd().split('\n'));
      assert.deepEqual(c.errors, []);
    } finally {
      closeSync(fd);
      await src.stop();
      t.cleanup();
    }
  });
}

test('a glob whose directory cannot be listed is reported once with the directory, and the other paths keep flowing', async () => {
  const t = tempDir('glob-unlistable');
  const notDir = join(t.dir, 'logs');
  const fine = join(t.dir, 'fine.log');
  writeFileSync(notDir, 'a file where a directory should be\n');
  writeFileSync(fine, '');
  const c = new Collector();
  const src = createSources({ logpath: [join(notDir, '*.log'), fine], backend: 'polling' }, c.deps(new MemoryPositionStore()));
  try {
    await src.start();
    assert.ok(await c.waitError(notDir));
    assert.equal(c.errors[0]!.source, join(notDir, '*.log'));
    assert.match(c.errors[0]!.err.message, /not a directory/);
    appendFileSync(fine, 'still here\n');
    assert.ok(await c.waitLines(1));
    await checked(src);
    assert.equal(c.errors.length, 1, 'reported once');
    unlinkSync(notDir);
    mkdirSync(notDir);
    writeFileSync(join(notDir, 'new.log'), 'listed now\n');
    assert.ok(await c.waitLines(2));
    assert.deepEqual(c.texts(), ['still here', 'listed now']);
  } finally {
    await src.stop();
    t.cleanup();
  }
});

const NOBODY = ['--reuid=65534', '--regid=65534', '--clear-groups'];
const readableByNobody = (file: string): boolean =>
  spawnSync('setpriv', [...NOBODY, process.execPath, '-e', `require('fs').readFileSync(${JSON.stringify(file)})`]).status === 0;
/** Root, setpriv, and a node binary `nobody` may run. */
const canDrop = process.getuid?.() === 0 && spawnSync('setpriv', [...NOBODY, process.execPath, '-e', '']).status === 0;

/**
 * The child script where `nobody` can load it: in place, or (checkout under a 0700 /root)
 * a copy of the compiled src/ and test/support/ in `dir`.
 */
function childFor(dir: string): string {
  const here = fileURLToPath(new URL('./support/source-child.js', import.meta.url));
  if (readableByNobody(here)) return here;
  const root = fileURLToPath(new URL('../', import.meta.url));
  cpSync(join(root, 'src'), join(dir, 'src'), { recursive: true });
  cpSync(join(root, 'test', 'support'), join(dir, 'test', 'support'), { recursive: true });
  writeFileSync(join(dir, 'package.json'), '{"type":"module"}\n');
  spawnSync('chmod', ['-R', 'a+rX', dir]);
  return join(dir, 'test', 'support', 'source-child.js');
}

test('permission denied (child dropped to nobody) is reported and retried; readable files keep flowing; fixed, it is read', {
  skip: canDrop ? false : 'needs root, setpriv and a node binary that nobody may run, to drop privileges',
}, async () => {
  const t = tempDir('eacces');
  chmodSync(t.dir, 0o755);
  const CHILD = childFor(join(t.dir, 'code'));
  const secret = join(t.dir, 'secret.log');
  const open = join(t.dir, 'open.log');
  writeFileSync(secret, 'old\n', { mode: 0o600 });
  writeFileSync(open, '', { mode: 0o644 });
  const child = spawn('setpriv', [...NOBODY, process.execPath, CHILD, 'auto', secret, open], { stdio: ['ignore', 'pipe', 'inherit'] });
  const events: { type: string; source?: string; text?: string; message?: string }[] = [];
  let buf = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (s: string) => {
    buf += s;
    let nl;
    while ((nl = buf.indexOf('\n')) !== -1) {
      events.push(JSON.parse(buf.slice(0, nl)) as (typeof events)[number]);
      buf = buf.slice(nl + 1);
    }
  });
  const exited = new Promise((r) => child.on('close', r));
  try {
    assert.ok(await waitFor(() => events.some((e) => e.type === 'started'), 10_000));
    assert.ok(await waitFor(() => events.some((e) => e.type === 'error' && e.source === secret)), 'EACCES reported');
    assert.match(events.find((e) => e.type === 'error')!.message!, /permission denied/);
    appendFileSync(open, 'readable\n');
    assert.ok(await waitFor(() => events.some((e) => e.type === 'line' && e.text === 'readable')));
    appendFileSync(secret, 'written while unreadable\n');
    chmodSync(secret, 0o644);
    assert.ok(await waitFor(() => events.some((e) => e.type === 'line' && e.source === secret)), 'retried and read');
    assert.deepEqual(events.filter((e) => e.type === 'line' && e.source === secret).map((e) => e.text), ['old', 'written while unreadable']);
    assert.equal(events.filter((e) => e.type === 'error').length, 1);
  } finally {
    child.kill('SIGTERM');
    await exited;
    t.cleanup();
  }
});
