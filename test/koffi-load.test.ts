/**
 * native/koffi.ts: koffi's addon is loaded without the package's index.js (and
 * so without node:https, node:zlib and its installer's helpers), and what it
 * returns is the whole API the project uses.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

const KOFFI = new URL('../native/koffi.js', import.meta.url).href;

test('loadKoffi loads the addon itself: no koffi/index.js, no node:https, a working load/func/errno', () => {
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', `
    import { createRequire } from 'node:module';
    const { loadKoffi } = await import(${JSON.stringify(KOFFI)});
    const k = loadKoffi();
    const pid = k.load('libc.so.6').func('int getpid()')();
    const cache = Object.keys(createRequire(import.meta.url).cache);
    process.stdout.write(JSON.stringify({ pid, errno: typeof k.errno(), same: loadKoffi() === k,
      index: cache.some((p) => p.endsWith('/koffi/index.js')), https: process.moduleLoadList.includes('NativeModule https') }));`], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { pid: number; errno: string; same: boolean; index: boolean; https: boolean };
  assert.ok(out.pid > 0, 'getpid through the addon');
  assert.deepEqual({ errno: out.errno, same: out.same, index: out.index, https: out.https }, { errno: 'number', same: true, index: false, https: false });
});
