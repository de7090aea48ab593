import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Netns, hostFirewallSnapshot } from './support/netns.js';

const hostBefore = hostFirewallSnapshot();
after(() => assert.equal(hostFirewallSnapshot(), hostBefore, 'the host firewall is untouched'));
const CHILD = fileURLToPath(new URL('./support/race-child.js', import.meta.url));

test('a ruleset change between our dump and our commit is detected by the generation and reconciled again, not left standing', () => {
  const ns = Netns.create('gen');
  try {
    const r = spawnSync('ip', ['netns', 'exec', ns.name, 'node', CHILD], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as { raced: boolean; refused: number; plan: string; chain: string };
    assert.ok(out.raced, 'the concurrent change happened');
    assert.equal(out.refused, 1, 'the kernel refused the batch planned against the old generation (ERESTART), nothing of it applied');
    assert.match(out.plan, /add\s+element inet f2b-fw race-v4 203\.0\.113\.7/);
    assert.match(out.plan, /delete\s+rule inet f2b-fw input handle \d+ \(not put there by f2b-fw/, 'the second attempt removed it');
    assert.doesNotMatch(out.chain, /198\.51\.100\.0\/24 accept/);
  } finally {
    ns.destroy();
  }
});
