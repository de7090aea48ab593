/**
 * One parser per value kind, bounded at load time: check-config (a real
 * process) refuses each bad value with file and line, and warns about an
 * ignoreip that ignores everything.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDuration } from '../src/config/duration.js';
import { parseBoolean } from '../src/config/bool.js';
import { tempConfigDir } from './support/config-files.js';
import { TEST_FILTER } from './support/daemon-harness.js';
import { runCli } from './support/cli-run.js';

const pos = { file: 'jail.local', line: 3, section: 'sshd', key: 'bantime' };

function jail(extra: string): string {
  return `[t]\nenabled = true\nfilter = f2btest\nlogpath = /dev/null\n${extra}\n`;
}

async function checkConfig(jailLocal: string) {
  const cfg = tempConfigDir({ 'filter.d/f2btest.conf': TEST_FILTER, 'jail.local': jailLocal });
  try {
    return { ...(await runCli(['check-config', '--config-dir', cfg.dir])), dir: cfg.dir };
  } finally {
    cfg.remove();
  }
}

for (const [line, key] of [
  ['enabled = maybe', 'enabled'], ['bantime = 0.0001', 'bantime'], ['bantime = -0', 'bantime'],
  ['findtime = 0.001', 'findtime'], ['maxretry = 99999999999', 'maxretry'],
  ['bantime = 99999999999999999999', 'bantime'], ['maxretry = 2.5', 'maxretry'],
] as const) {
  test(`check-config refuses "${line}" with file and line (exit 3)`, async () => {
    // The bad line is the fifth of jail.local (after [t], enabled, filter, logpath).
    const text = key === 'enabled' ? `[t]\n${line}\nfilter = f2btest\nlogpath = /dev/null\n` : jail(line);
    const r = await checkConfig(text);
    assert.equal(r.status, 3, r.stdout + r.stderr);
    const lineNo = text.split('\n').indexOf(line) + 1;
    assert.match(r.stderr, new RegExp(`jail\\.local:${lineNo} \\[t\\] ${key}`), r.stderr);
  });
}

test('check-config warns about ignoreip = 0.0.0.0/0 and ::/0 but accepts them', async () => {
  const r = await checkConfig(jail('ignoreip = 0.0.0.0/0 ::/0 192.0.2.0/24'));
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /warning: \[t\] ignoreip = 0\.0\.0\.0\/0 ignores every IPv4 address/);
  assert.match(r.stderr, /warning: \[t\] ignoreip = ::\/0 ignores every IPv6 address/);
  assert.doesNotMatch(r.stderr, /192\.0\.2\.0/);
});

test('durations are whole seconds within limits; booleans are one set of words', () => {
  assert.equal(parseDuration('1.6', pos), 2);
  assert.equal(parseDuration('1h30m', pos), 5400);
  assert.equal(parseDuration('-1', pos), null);
  assert.equal(parseDuration('0', pos), 0);
  assert.equal(parseDuration('10y', pos), 315_576_000);
  for (const bad of ['0.4', '-0', '-0.5', '11y', '1e3', '', 'soon']) assert.throws(() => parseDuration(bad, pos), /jail\.local:3 \[sshd\] bantime/, bad);
  assert.equal(parseBoolean(' Yes ', pos), true);
  assert.equal(parseBoolean('OFF', pos), false);
  for (const bad of ['maybe', 'enabled', '2', '']) assert.throws(() => parseBoolean(bad, pos), /expected a boolean/, bad);
});
