/**
 * Stopping a file source leaves nothing behind: no inotify watch and no timer may be
 * created after stop(), also when stop() arrives while a rescan is in flight (a glob
 * being expanded). A leaked watch keeps the daemon's event loop alive after SIGTERM;
 * under load it kept this suite's process from ever exiting.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createSources } from '../src/sources/source.js';
import { MemoryPositionStore } from '../src/sources/position.js';
import type { FileSource } from '../src/sources/file-source.js';
import { Collector, tempDir } from './support/source-harness.js';

/** The number of live fs.watch handles (inotify) of this process. */
function watches(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'FSEventWrap').length;
}

test('stop() during a rescan leaves no watch behind', async () => {
  const t = tempDir('stop');
  try {
    // A glob that matches no file yet: checkNow() then goes straight to a rescan, which awaits
    // the directory listing while stop() runs.
    writeFileSync(join(t.dir, 'other.log'), 'one\n');
    const before = watches();
    const c = new Collector();
    const src = createSources({ logpath: [join(t.dir, 'app*.log')], backend: 'inotify' }, c.deps(new MemoryPositionStore()));
    await src.start();
    assert.ok(watches() > before, 'the source watches its directory while running');
    const check = (src as FileSource).checkNow();
    await src.stop();
    await check;
    assert.equal(watches(), before, 'no watch left after stop');
  } finally {
    t.cleanup();
  }
});

test('stop() before start() has finished: no poll ticker and no watch are left', async () => {
  const t = tempDir('stop-early');
  try {
    writeFileSync(join(t.dir, 'app.log'), 'one\n');
    const before = watches();
    let tickers = 0;
    const c = new Collector();
    const src = createSources({ logpath: [join(t.dir, 'app*.log')], backend: 'inotify' }, c.deps(new MemoryPositionStore(), {
      startInterval: () => {
        tickers++;
        return () => { tickers--; };
      },
    }));
    const started = src.start();
    await src.stop();
    await started;
    assert.equal(tickers, 0, 'no ticker running after stop');
    assert.equal(watches(), before, 'no watch left after stop');
  } finally {
    t.cleanup();
  }
});
