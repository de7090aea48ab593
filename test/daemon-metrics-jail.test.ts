import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LatencyHistogram, renderMetrics } from '../src/daemon/metrics.js';

test('per-jail series include the bans a full set kept out of the kernel (maxelem), the evicted failures and the slow lines', () => {
  const text = renderMetrics({
    jails: [{ jail: 'sshd', banned: 5, bansTotal: 9, failuresTotal: 40, linesTotal: 100, bannedPrefixes: 1, failuresEvicted: 2, slowLinesTotal: 0, setFullSkipsTotal: 3 }],
    storeDegraded: false, storeUnwritten: 0, repairsTotal: 0, kernel: new LatencyHistogram(),
  });
  assert.match(text, /^# TYPE f2b_fw_set_full_skips_total counter$/m);
  assert.match(text, /^f2b_fw_set_full_skips_total\{jail="sshd"\} 3$/m);
  assert.match(text, /^f2b_fw_failures_evicted_total\{jail="sshd"\} 2$/m);
});
