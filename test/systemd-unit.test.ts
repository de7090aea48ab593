/**
 * The shipped unit file passes `systemd-analyze verify` without a warning, and
 * its sandboxing keeps `systemd-analyze security` exposure low. Both run
 * against a throwaway root holding the unit, stand-ins for the binaries it
 * names and the distribution's units, so nothing is installed on the host.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { CLI_ENTRY, PACKAGE_ROOT } from '../src/core/paths.js';
import { DEFAULTS } from '../src/core/defaults.js';

const UNIT = join(PACKAGE_ROOT, 'systemd', 'f2b-fw.service');
const UNIT_IN_ROOT = '/etc/systemd/system/f2b-fw.service';
let root: string;

/** Lays out a minimal root: usr-merged, the distribution's units, the unit's executables as stubs. */
function makeRoot(unitText: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'f2bt-systemd-'));
  for (const d of ['usr/bin', 'usr/local/bin', 'usr/lib/systemd', 'etc/systemd/system']) mkdirSync(join(dir, d), { recursive: true });
  symlinkSync('usr/bin', join(dir, 'bin'));
  symlinkSync('usr/lib', join(dir, 'lib'));
  cpSync('/usr/lib/systemd/system', join(dir, 'usr/lib/systemd/system'), { recursive: true, verbatimSymlinks: true });
  for (const exe of new Set([...unitText.matchAll(/^Exec\w+=[-@:+!]*(\/\S+)/gm)].map((m) => m[1]!))) {
    const path = join(dir, exe);
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, '#!/bin/sh\nexit 0\n');
    chmodSync(path, 0o755);
  }
  writeFileSync(join(dir, UNIT_IN_ROOT), unitText);
  return dir;
}

function analyze(rootDir: string, ...args: string[]): { status: number | null; out: string } {
  const r = spawnSync('systemd-analyze', [`--root=${rootDir}`, ...args], { encoding: 'utf8' });
  if (r.error) throw r.error;
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

before(() => {
  root = makeRoot(readFileSync(UNIT, 'utf8'));
});
after(() => rmSync(root, { recursive: true, force: true }));

test('systemd-analyze verify accepts the unit without a single warning', () => {
  const r = analyze(root, 'verify', UNIT_IN_ROOT);
  assert.equal(r.status, 0, r.out);
  assert.equal(r.out.trim(), '', `verify printed warnings:\n${r.out}`);
});

test('the check catches what it should: an unknown key or a bad value is reported', () => {
  const text = readFileSync(UNIT, 'utf8').replace('NoNewPrivileges=yes', 'NoNewPrivileges=yes\nProtectSystem=stricter\nBogusKey=1');
  const broken = makeRoot(text);
  try {
    const r = analyze(broken, 'verify', UNIT_IN_ROOT);
    assert.match(r.out, /Unknown key.*BogusKey/);
    assert.match(r.out, /protect system value.*stricter/);
  } finally {
    rmSync(broken, { recursive: true, force: true });
  }
});

test('the unit is what the daemon needs: notify, watchdog, check-config first, restart on failure', () => {
  const text = readFileSync(UNIT, 'utf8');
  for (const line of [
    'Type=notify', 'NotifyAccess=main', /^WatchdogSec=\d+s$/m, /^ExecStartPre=\S+ check-config/m, /^ExecStart=\S+ run/m,
    'Restart=on-failure', 'StateDirectory=f2b-fw', 'RuntimeDirectory=f2b-fw', 'ProtectSystem=strict', 'ProtectHome=yes',
    'PrivateTmp=yes', 'NoNewPrivileges=yes', /^CapabilityBoundingSet=CAP_NET_ADMIN CAP_DAC_READ_SEARCH/m,
  ]) {
    if (typeof line === 'string') assert.ok(text.split('\n').includes(line), `missing ${line}`);
    else assert.match(text, line);
  }
  assert.doesNotMatch(text, /^(CapabilityBoundingSet|AmbientCapabilities)=.*CAP_SYS_ADMIN/m, 'no CAP_SYS_ADMIN');
});

test('the default logtarget lies in the unit\'s LogsDirectory, and the recidive jail reads that file', () => {
  const text = readFileSync(UNIT, 'utf8');
  const dir = /^LogsDirectory=(\S+)$/m.exec(text)?.[1];
  assert.ok(dir, 'no LogsDirectory= (ProtectSystem=strict makes /var/log read-only)');
  assert.equal(dirname(DEFAULTS.logTarget), `/var/log/${dir}`);
  const jailConf = readFileSync(join(PACKAGE_ROOT, 'rules', 'jail.conf'), 'utf8');
  assert.match(jailConf, new RegExp(`^f2b_fw_log = ${DEFAULTS.logTarget.replace(/[.]/g, '\\.')}$`, 'm'));
});

test('the sub-commands and flags the unit runs exist in this f2b-fw', () => {
  const text = readFileSync(UNIT, 'utf8');
  const lines = [...text.matchAll(/^Exec(?:StartPre|Start)=\/usr\/bin\/f2b-fw (\S+)(.*)$/gm)];
  assert.equal(lines.length, 2);
  for (const [, sub, rest] of lines) {
    const help = spawnSync(process.execPath, [CLI_ENTRY, sub!, '--help'], { encoding: 'utf8' });
    assert.equal(help.status, 0, `f2b-fw ${sub} --help: ${help.stderr}`);
    for (const flag of rest!.match(/--[\w-]+/g) ?? []) assert.ok(help.stdout.includes(flag), `f2b-fw ${sub} has no ${flag}`);
  }
});

test('systemd-analyze security rates the sandbox exposure as low (below 4 of 10)', () => {
  const r = analyze(root, 'security', '--offline=yes', UNIT_IN_ROOT);
  const m = /Overall exposure level for f2b-fw\.service: ([\d.]+)/.exec(r.out);
  assert.ok(m, r.out);
  assert.ok(Number(m[1]) < 4, `exposure ${m[1]}:\n${r.out}`);
});

