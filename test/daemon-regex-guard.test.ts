/**
 * A custom filter with a regex V8's linear engine cannot run (a lookbehind) and a
 * 48-byte crafted line that makes it backtrack for hours (issue 10.6): the daemon
 * names the regex at start, abandons the line after its budget (logged once), keeps
 * banning from another jail and from the same jail, answers `ping`, and stops on SIGTERM.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { CLI_ENTRY } from '../src/core/paths.js';
import { DaemonHarness, jailSection } from './support/daemon-harness.js';
import { waitFor } from './support/netns.js';

const EVIL_FILTER = '[Definition]\nfailregex = ^bad (?:\\w+\\s?)+(?<!x) from <HOST>$\ndatepattern = {NONE}\n';
const CRAFTED = `bad ${'a'.repeat(37)} from !`;

test('a backtracking-prone custom regex and a crafted line do not stall the daemon', async () => {
  assert.equal(Buffer.byteLength(CRAFTED), 48);
  const d = new DaemonHarness('regexguard', '', { 'filter.d/evil.conf': EVIL_FILTER });
  try {
    const evilLog = d.path('evil.log');
    const alphaLog = d.path('alpha.log');
    d.touch(evilLog);
    d.touch(alphaLog);
    d.config.write('jail.local', jailSection('evil', evilLog, { filter: 'evil' }) + jailSection('alpha', alphaLog));
    const check = spawnSync(process.execPath, [CLI_ENTRY, 'check-config', '--config-dir', d.config.dir], { encoding: 'utf8' });
    assert.equal(check.status, 0, check.stderr);
    assert.match(check.stderr, /warning: \[evil\] .*evil\.conf:2 failregex ".*\(\?<!x\).*": a lookbehind \(\?<!…\) keeps V8's linear-time regex engine out, so a crafted line can make it backtrack/);
    await d.start();
    assert.ok(d.events('regex-backtracking').some((l) => /evil\.conf:2 failregex/.test(l.msg)), 'named at start');

    d.append(evilLog, [CRAFTED, CRAFTED]);
    d.append(alphaLog, ['FAIL login from 192.0.2.10']);
    assert.ok(await waitFor(() => d.elements('alpha').some((e) => e.addr === '192.0.2.10'), 20_000), 'the other jail still bans');
    const ping = await d.cli(['ping']);
    assert.equal(ping.status, 0, ping.stderr);
    assert.ok(await waitFor(() => d.events('line-abandoned').length > 0, 20_000), 'the crafted line is abandoned');
    d.append(evilLog, ['bad some user from 192.0.2.11']);
    assert.ok(await waitFor(() => d.elements('evil').some((e) => e.addr === '192.0.2.11'), 20_000), 'the guarded jail bans after the restart of its worker');
    assert.equal(d.events('line-abandoned').length, 1, 'logged once per jail');
    assert.match(d.events('line-abandoned')[0]!.msg, /\[evil\] a line of .*evil\.log was abandoned: its match ran past 250 ms/);
    const code = await d.signal('SIGTERM');
    assert.equal(code, 0, 'stops on SIGTERM');
  } finally {
    await d.destroy();
  }
});
