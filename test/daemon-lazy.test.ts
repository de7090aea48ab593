/**
 * Idle memory (issue 12.5): the daemon's modules load no optional subsystem at
 * import. node:http (≈ 2.5 MB resident) comes only with a metrics address,
 * imported when the metrics server starts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

const BOOT = new URL('../src/daemon/boot.js', import.meta.url).href;

test('loading the daemon does not load node:http (only serveMetrics does, when metrics are configured)', () => {
  const r = spawnSync(process.execPath, ['--input-type=module', '-e',
    `await import(${JSON.stringify(BOOT)}); process.stdout.write(JSON.stringify(process.moduleLoadList));`], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const builtins = JSON.parse(r.stdout) as string[];
  assert.ok(builtins.includes('NativeModule net'), 'the probe sees builtins');
  assert.ok(!builtins.includes('NativeModule http'), 'node:http loaded by the daemon\'s modules');
});
