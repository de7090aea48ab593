import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { DaemonHarness, jailSection } from './support/daemon-harness.js';
import { waitFor } from './support/netns.js';

test('--backend null is a true dry run: the real database is never opened, no Ban line for recidive, every block logged', async () => {
  const h = new DaemonHarness('dryrun', '');
  try {
    const log = h.path('a.log');
    h.touch(log);
    h.config.write('jail.local', jailSection('sshd', log, { maxretry: '1' }));
    await h.start(['--backend', 'null']);
    h.append(log, ['FAIL login from 203.0.113.44']);
    assert.ok(await waitFor(() => h.events('dry-run-block').some((l) => l.addr === '203.0.113.44'), 5000), 'the null driver logs the block');
    const r = await h.cli(['ban', 'sshd', '198.51.100.44']);
    assert.equal(r.status, 0, r.stderr);
    assert.ok(await waitFor(() => h.events('dry-run-block').some((l) => l.addr === '198.51.100.44'), 5000));
    assert.ok((await h.cli(['unban', 'sshd', '198.51.100.44'])).status === 0);
    assert.ok(h.events('dry-run-release').some((l) => l.addr === '198.51.100.44'), 'and the release');
    assert.deepEqual(h.logs.filter((l) => l.event === 'ban' || /\] Ban /.test(l.msg)), [], 'no line recidive would read as a ban');
    assert.equal(h.elements('sshd').length, 0, 'nothing in the kernel');
    assert.equal(await h.signal('SIGTERM'), 0);
    assert.equal(existsSync(h.db), false, `${h.db} was never created`);
  } finally {
    await h.destroy();
  }
});
