import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NullDriver } from '../src/fw/null.js';
import type { FirewallLayout } from '../src/fw/layout.js';
import type { Ban } from '../src/core/records.js';
import type { ReconcileOptions } from '../src/fw/driver.js';
import type { Plan } from '../src/fw/plan.js';
import { F2bError } from '../src/core/errors.js';
import { DaemonHarness, jailSection } from './support/daemon-harness.js';
import { waitFor } from './support/netns.js';
import { startInProcess, type LogLine } from './support/inproc-daemon.js';

const found = (jail: string, addr: string) => (l: LogLine): boolean => l.event === 'found' && l.jail === jail && l.addr === addr;
const banned = (jail: string, addr: string) => (l: LogLine): boolean => l.event === 'dry-run-block' && l.jail === jail && l.addr === addr;

/** Appends a failure line for `addr` and a marker line after it; resolves once the marker was found in `jail`. */
async function failAndMark(t: Awaited<ReturnType<typeof startInProcess>>, file: string, jail: string, addr: string, marker: string): Promise<void> {
  appendFileSync(file, `FAIL login from ${addr}\nFAIL login from ${marker}\n`);
  await t.waitLog(found(jail, marker));
}

test('six concurrent reloads: one reader per file and jail, no reader of a removed jail, a kept jail keeps counting', async () => {
  const t = await startInProcess((dir) => jailSection('alpha', join(dir, 'shared.log'), { maxretry: '3' })
    + jailSection('beta', join(dir, 'shared.log'), { maxretry: '3' }), {});
  const log = join(t.cfg.dir, 'shared.log');
  try {
    writeFileSync(log, '');
    // Two failures before the reloads.
    await failAndMark(t, log, 'alpha', '203.0.113.1', '198.51.100.200');
    appendFileSync(log, 'FAIL login from 203.0.113.1\n');
    await t.waitLog((l) => t.count(found('alpha', '203.0.113.1')) === 2 && l.event === 'found');
    // beta removed, then six reload requests at once.
    t.cfg.write('jail.local', jailSection('alpha', log, { maxretry: '3' }));
    const results = await Promise.all(Array.from({ length: 6 }, () => t.daemon.reload()));
    assert.deepEqual(results[0]!.removed, ['beta']);
    const reloads = t.lines.filter((l) => l.event === 'reload').length;
    assert.ok(reloads <= 2, `six requests make at most two reloads (one running, one coalesced), got ${reloads}`);
    assert.deepEqual((await t.daemon.status()).jails, ['alpha']);

    // The third failure bans (2 + reload + 1 at maxretry 3); it is read once, by alpha only.
    await failAndMark(t, log, 'alpha', '203.0.113.1', '198.51.100.201');
    await t.waitLog(banned('alpha', '203.0.113.1'));
    assert.equal(t.count(found('alpha', '198.51.100.201')), 1, 'one reader of the file for alpha');
    assert.equal(t.count((l) => l.event === 'found' && l.jail === 'beta' && l.addr === '198.51.100.201'), 0, 'no orphan reader of the removed jail');
    assert.deepEqual((await t.driver.list()).map((b) => `${b.jail} ${b.addr}`), ['alpha 203.0.113.1']);
  } finally {
    await t.close();
  }
});

/** The null backend, except that the next reconcile the test arms is refused like a kernel error. */
class RefusingDriver extends NullDriver {
  refuseNext = false;
  override async reconcile(layout: FirewallLayout, bans: readonly Ban[], options?: ReconcileOptions): Promise<Plan> {
    if (this.refuseNext) {
      this.refuseNext = false;
      throw new F2bError('kernel', 'Operation not permitted (refused by the test driver)');
    }
    return super.reconcile(layout, bans, options);
  }
}

test('a reload whose kernel step fails leaves the previous jails running and says so', async () => {
  let driver: RefusingDriver | null = null;
  const t = await startInProcess((dir) => jailSection('alpha', join(dir, 'a.log'), { maxretry: '2' }), {
    driver: (clock, log) => (driver = new RefusingDriver(clock, log)),
  });
  const a = join(t.cfg.dir, 'a.log');
  try {
    writeFileSync(a, '');
    await failAndMark(t, a, 'alpha', '203.0.113.5', '198.51.100.210');
    t.cfg.write('jail.local', jailSection('alpha', a, { maxretry: '2', bantime: '2h' }) + jailSection('gamma', join(t.cfg.dir, 'c.log')));
    driver!.refuseNext = true;
    await assert.rejects(t.daemon.reload(), (e: unknown) => e instanceof F2bError && e.code === 'kernel'
      && /previous 1 jail\(s\) keep running \(alpha\)/.test(e.message));
    assert.deepEqual((await t.daemon.status()).jails, ['alpha'], 'the new jail did not replace the running one');
    assert.equal(await t.daemon.get('alpha', 'bantime'), 600, 'the running jail keeps its settings');
    // The previous alpha still reads and counts: its second failure bans.
    await failAndMark(t, a, 'alpha', '203.0.113.5', '198.51.100.211');
    await t.waitLog(banned('alpha', '203.0.113.5'));
    // And the next reload goes through.
    const ok = await t.daemon.reload();
    assert.deepEqual([ok.added, ok.kept], [['gamma'], ['alpha']]);
  } finally {
    await t.close();
  }
});

test('50 SIGHUPs in a burst: reloads coalesce, one reader per file, no orphan of a removed jail, SIGTERM still stops', async () => {
  const h = new DaemonHarness('hup', '');
  try {
    const log = h.path('shared.log');
    h.touch(log);
    h.config.write('jail.local', jailSection('alpha', log, { maxretry: '3' }) + jailSection('beta', log, { maxretry: '3' }));
    await h.start(['--loglevel', 'debug']);
    h.config.write('jail.local', jailSection('alpha', log, { maxretry: '3' }));
    // 50 as fast as the daemon takes them: each sent once the daemon logged the one before (signals
    // sent at once would merge in the kernel into one pending SIGHUP).
    for (let i = 1; i <= 50; i++) {
      h.child!.kill('SIGHUP');
      assert.ok(await waitFor(() => h.events('sighup').length === i, 5000, 2), `SIGHUP ${i} received`);
    }
    // A reload asked now is queued behind (or joins) the ones the signals started.
    const r = await h.cli(['reload']);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual((await h.cliJson<{ jails: string[] }>(['status'])).jails, ['alpha']);
    const reloads = h.events('reload').length;
    assert.ok(reloads >= 1 && reloads <= 51, `every reload logged once, got ${reloads}`);
    h.append(log, ['FAIL login from 203.0.113.9', 'FAIL login from 198.51.100.9']);
    assert.ok(await waitFor(() => h.logs.some((l) => l.event === 'found' && l.addr === '198.51.100.9'), 5000), 'alpha reads the file');
    const founds = h.logs.filter((l) => l.event === 'found' && l.addr === '203.0.113.9');
    assert.deepEqual(founds.map((l) => l.jail), ['alpha'], 'read once, by alpha only');
    assert.equal(await h.signal('SIGTERM'), 0, 'SIGTERM stops the daemon');
  } finally {
    await h.destroy();
  }
});
