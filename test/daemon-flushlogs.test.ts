/**
 * `f2b-fw flushlogs` (logrotate's postrotate): the daemon reopens its log file, so after the file
 * was renamed away the next lines go to a new file at the path and none to the old one.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, renameSync } from 'node:fs';
import { DaemonHarness, jailSection } from './support/daemon-harness.js';
import { waitFor } from './support/netns.js';

const harnesses: DaemonHarness[] = [];
after(async () => { for (const h of harnesses) await h.destroy(); });

function daemon(label: string): DaemonHarness {
  const h = new DaemonHarness(label, '');
  harnesses.push(h);
  h.config.write('jail.local', jailSection('web', h.path('web.log')));
  h.touch(h.path('web.log'));
  return h;
}

test('flushlogs after a rename: new lines in the new file, the rotated one keeps only the old lines', async () => {
  const h = daemon('flushlogs');
  const file = h.path('f2b-fw.log');
  await h.start(['--logtarget', file, '--backend', 'null']);
  await h.cliJson(['ban', 'web', '192.0.2.7']);
  assert.ok(await waitFor(() => readFileSync(file, 'utf8').includes('[web] dry run: would block 192.0.2.7'), 5000, 10));
  renameSync(file, `${file}.1`);

  const r = await h.cliJson<{ reopened: string | null }>(['flushlogs']);
  assert.equal(r.reopened, file);
  const text = await h.cli(['flushlogs']);
  assert.equal(text.stdout.trim(), `rolled over: ${file}`);
  await h.cliJson(['ban', 'web', '192.0.2.8']);
  assert.ok(await waitFor(() => existsSync(file) && readFileSync(file, 'utf8').includes('[web] dry run: would block 192.0.2.8'), 5000, 10));
  const old = readFileSync(`${file}.1`, 'utf8');
  assert.match(old, /\[web\] dry run: would block 192\.0\.2\.7/, 'the null backend logs each block (no Ban line in a dry run)');
  assert.doesNotMatch(old, /192\.0\.2\.8/);
  assert.doesNotMatch(readFileSync(file, 'utf8'), /192\.0\.2\.7/);
});

test('flushlogs on a daemon logging to stdout only says so', async () => {
  const h = daemon('flushlogs-stdout');
  await h.start(['--backend', 'null']);
  assert.deepEqual(await h.cliJson(['flushlogs']), { reopened: null });
});
