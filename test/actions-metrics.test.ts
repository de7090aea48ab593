import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LatencyHistogram, renderMetrics } from '../src/daemon/metrics.js';

test('/metrics exports f2b_fw_actions_total{jail,action,result} and f2b_fw_outbox_depth per action', () => {
  const text = renderMetrics({
    jails: [], repairsTotal: 0, kernel: new LatencyHistogram(),
    actions: [{ jail: 'sshd', action: 'abuseipdb', sent: 3, failed: 2, dropped: 1, queued: 4 }],
  });
  assert.match(text, /^f2b_fw_actions_total\{jail="sshd",action="abuseipdb",result="sent"\} 3$/m);
  assert.match(text, /^f2b_fw_actions_total\{jail="sshd",action="abuseipdb",result="failed"\} 2$/m);
  assert.match(text, /^f2b_fw_actions_total\{jail="sshd",action="abuseipdb",result="dropped"\} 1$/m);
  assert.match(text, /^f2b_fw_outbox_depth\{jail="sshd",action="abuseipdb"\} 4$/m);
  assert.match(text, /# TYPE f2b_fw_actions_total counter/);
});
