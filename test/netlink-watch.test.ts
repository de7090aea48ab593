import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Netns, hostFirewallSnapshot } from './support/netns.js';

const hostBefore = hostFirewallSnapshot();
after(() => assert.equal(hostFirewallSnapshot(), hostBefore, 'the host firewall is untouched'));
const CHILD = fileURLToPath(new URL('./support/watch-flood-child.js', import.meta.url));

test('a foreign commit that overruns the watcher\'s receive buffer is reported as lost events, never kills the process', () => {
  const ns = Netns.create('watchflood');
  const dir = mkdtempSync(join(tmpdir(), 'f2b-watch-'));
  try {
    const r = spawnSync('ip', ['netns', 'exec', ns.name, 'node', CHILD, join(dir, 'flood.nft'), '50000'], { encoding: 'utf8' });
    assert.equal(r.signal, null, `the watcher process died: ${r.signal}\n${r.stderr}`);
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as { reason: string | null; mode: string };
    assert.equal(out.mode, 'netlink');
    assert.ok(out.reason === 'events-lost' || out.reason === 'foreign-change', `reported: ${out.reason}`);
  } finally {
    ns.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
});
