import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildLab } from '../../src/lab/topology.js';
import { runScenario, type LabEvent } from '../../src/lab/scenario.js';
import { hostFirewallSnapshot } from '../support/netns.js';

test('router lab: attack → ban on the router port and the forwarded service → survives restart and flush → expires', async () => {
  const before = hostFirewallSnapshot();
  const dir = mkdtempSync(join(tmpdir(), 'f2b-lab-'));
  const lab = buildLab();
  const events: LabEvent[] = [];
  try {
    await runScenario(lab, { workDir: dir, bantime: 30, report: (e) => events.push(e) });
  } finally {
    lab.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
  assert.ok(events.every((e) => e.ok));
  for (const step of ['1.', '2.', '3.', '4.', '5.']) assert.ok(events.some((e) => e.step.startsWith(step)), `step ${step} ran`);
  assert.equal(hostFirewallSnapshot(), before, 'the host firewall is untouched');
});
