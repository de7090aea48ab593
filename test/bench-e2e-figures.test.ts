import { test } from 'node:test';
import assert from 'node:assert/strict';
import { e2eFigures, toolRow } from '../bench/support/e2e-figures.js';
import type { HarnessResult } from '../bench/support/harness.js';

const mem = (rssMB: number, hwmMB = rssMB): HarnessResult['memIdle'] => ({ rssMB, hwmMB });

function latency(ms: number[], rssMB: number): HarnessResult {
  const samples = [{ cold: true, pollMs: 99, monitorMs: 99 }, ...ms.map((m) => ({ cold: false, pollMs: m + 1, monitorMs: m }))];
  return { scenario: 'latency', n: 0, poll: { median: ms[0]! + 1, p90: 0 }, samples, allInKernelMs: null, memIdle: mem(rssMB) };
}

function mass(scenario: string, n: number, ms: number | null, restoredAllMs: number | null, after = mem(50, 60)): HarnessResult {
  return { scenario, n, allInKernelMs: ms, daemonCpuS: { self: n / 10_000, children: 0.5 }, memAfter: after, ...(restoredAllMs === null ? {} : { restore: { restoredAllMs, target: n } }) };
}

test('every row of issue 12 comes out with its target and the peer of the same run', () => {
  const f2bfw = toolRow([
    latency([1, 2, 3, 4, 50], 70), mass('massban-log', 100_000, 2000, 1400, mem(90, 140)), mass('massban-log', 10_000, 100, 400),
    mass('massban-cmd', 100_000, 800, null), { scenario: 'massban-cmd', n: 5, skipped: 'no', allInKernelMs: null },
  ]);
  const sshguard = toolRow([latency([10, 20, 30], 2), mass('massban-log', 1000, 4000, null)]);
  const fail2ban = toolRow([latency([300], 40), mass('massban-log', 1000, 5000, 6000, mem(43)), mass('massban-cmd', 1000, 16_000, null)]);
  const figures = e2eFigures({
    f2bfw, sshguard, fail2ban,
    outside: { startReadyMs: 300, catchUp: { lines: 1_000_000, sentinelMs: 2000, cpuS: 1.25 }, cli: [
      { label: 'nft list tables', wallMs: 5, cpuMs: 2 }, { label: 'ping', wallMs: 60, cpuMs: 40 }, { label: 'ban sshd IP', wallMs: 90, cpuMs: 50 }] },
    testFilter: [{ lines: 200_000, wallS: 1.5, cpuS: 1.4 }, { lines: 1_000_000, wallS: 4, cpuS: 3.5 }],
    fail2banRegex: { lines: 200_000, wallS: 8, cpuS: 7.9 },
  });
  const row = (prefix: string): (typeof figures)[number] => {
    const f = figures.find((x) => x.name.startsWith(prefix));
    assert.ok(f, `a row starting ${prefix}: ${figures.map((x) => x.name).join('\n')}`);
    return f;
  };
  assert.deepEqual(row('5 lines in one write'), { name: row('5 lines in one write').name, value: 3, unit: 'ms', target: '≤ 1 ms', compare: { label: 'sshguard', value: 20 } });
  assert.deepEqual(row('5 lines → kernel (`nft monitor`), p99').value, 50);
  assert.equal(row('… the same median next to fail2ban').compare?.value, 300);
  assert.equal(row('5 lines → kernel, median seen by the 2 ms poll').value, 2);
  assert.deepEqual([row('10,000 attackers').value, row('10,000 attackers').target], [0.1, '≤ 0.15 s']);
  assert.deepEqual([row('100,000 attackers').value, row('100,000 attackers').target], [2, '≤ 1.5 s']);
  assert.deepEqual(row('… bans/s in the storm of 100,000 (fail2ban at 1,000)').compare, { label: 'fail2ban', value: 200 });
  assert.deepEqual(row('… bans/s in the storm of 10,000 (sshguard at 1,000)').compare, { label: 'sshguard', value: 250 });
  assert.deepEqual([row('RSS 0.5 s after the storm of 100,000').value, row('RSS 0.5 s after the storm of 100,000').target], [90, '≤ 100 MB']);
  assert.deepEqual([row('RSS peak (VmHWM) up to the storm of 100,000').value, row('RSS peak (VmHWM) up to the storm of 100,000').target], [140, '≤ 150 MB']);
  assert.deepEqual(row('restart → 10,000').compare, { label: 'fail2ban at 1,000', value: 6 });
  assert.equal(row('restart → 100,000').value, 1.4);
  assert.deepEqual(figures.filter((f) => f.name.startsWith('… the daemon\'s CPU time')).map((f) => [f.value, f.compare?.value]), [[1.5, 0.6], [10.5, 0.6], [10.5, 0.6]]);
  assert.deepEqual([row('`f2b-fw ban sshd --file` of 100,000').value, row('`f2b-fw ban sshd --file` of 100,000').compare?.value], [0.8, 16]);
  assert.deepEqual([row('RSS idle, one jail').value, row('RSS idle, one jail').compare?.value], [70, 40]);
  assert.equal(row('… the same next to sshguard').compare?.value, 2);
  assert.equal(row('`f2b-fw test-filter` on a 200,000-line').compare?.value, 8);
  assert.equal(row('`f2b-fw test-filter` on a 1,000,000-line').target, '≤ 1 s');
  assert.equal(row('daemon start on a 1,000,000-line backlog').value, 500_000);
  assert.equal(row('… lines per CPU second').value, 800_000);
  assert.deepEqual(row('`f2b-fw ping` as a process').compare, { label: 'nft list tables', value: 5 });
  assert.equal(row('`f2b-fw ban sshd IP` as a process').value, 90);
});

test('a tool that timed out or was not run leaves its rows out instead of writing NaN', () => {
  const figures = e2eFigures({ f2bfw: toolRow([mass('massban-log', 10_000, null, null)]), testFilter: [] });
  assert.ok(figures.every((f) => Number.isFinite(f.value)));
  assert.ok(!figures.some((f) => f.name.startsWith('10,000 attackers')));
  assert.ok(figures.some((f) => f.name.startsWith('RSS 0.5 s after the storm of 10,000')));
  assert.ok(!figures.some((f) => / at 0b/.test(f.name)), 'no peer size when the peer did not run');
});
