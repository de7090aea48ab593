import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatNumber, meetsTarget, renderDocument, type ModuleOutcome } from '../bench/report.js';
import type { MachineInfo } from '../bench/machine.js';

const RUNNER = fileURLToPath(new URL('../bench/run.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'f2bt-bench-'));
const out = join(dir, 'benchmarks.md');
after(() => rmSync(dir, { recursive: true, force: true }));

function module(name: string, body: string): void {
  writeFileSync(join(dir, `${name}.bench.js`), body);
}

function okModule(latency: number): void {
  module('ok', `export const bench = { name: 'ok', async run() { return {
    title: 'Ban latency', command: 'npm run bench -- ok',
    figures: [
      { name: 'single ban, median', value: ${latency}, unit: 'ms', target: '≤ 5 ms', compare: { label: 'fail2ban 1.0.2', value: 250 } },
      { name: 'RSS with 100,000 bans', value: 150.4, unit: 'MB', target: '≤ 100 MB' },
      { name: 'lines | pipes', value: 1234567, unit: 'lines/s' },
    ],
    notes: ['in a namespace'] }; } };\n`);
}

function run(...args: string[]): { status: number | null; stderr: string } {
  const r = spawnSync(process.execPath, [RUNNER, '--dir', dir, '--out', out, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stderr: r.stderr };
}

test('targets are checked across units and numbers are rounded sensibly', () => {
  assert.equal(meetsTarget({ name: 'x', value: 900, unit: 'µs', target: '≤ 5 ms' }), '✓');
  assert.equal(meetsTarget({ name: 'x', value: 2.5, unit: 's', target: '<= 2 s' }), '✗');
  assert.equal(meetsTarget({ name: 'x', value: 120000, unit: 'lines/s', target: '≥ 100,000 lines/s' }), '✓');
  assert.equal(meetsTarget({ name: 'x', value: 8.41, unit: 'ms', target: '≤ 50 ms (LIMITS.matchBudgetMs)' }), '✓');
  assert.equal(meetsTarget({ name: 'x', value: 1, unit: 'ms', target: 'fast' }), '');
  assert.equal(meetsTarget({ name: 'x', value: 1, unit: 'ms', target: '≤ 1 MB' }), '');
  assert.equal(formatNumber(1234567.8), '1,234,568');
  assert.equal(formatNumber(2.34567), '2.35');
});

test('the runner writes machine info and a table per module, and records a failing module instead of stopping', () => {
  okModule(2.5);
  module('boom', `export const bench = { name: 'boom', async run() { throw new Error('kernel said no'); } };\n`);
  module('noexport', `export const other = 1;\n`);
  const r = run();
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /bench boom: FAILED: Error: kernel said no/);
  const doc = readFileSync(out, 'utf8');
  for (const label of ['CPU', 'Cores', 'Memory', 'Kernel', 'OS', 'Node.js', 'nftables', 'fail2ban (for comparison)']) assert.match(doc, new RegExp(`^\\| ${label.replace(/[()]/g, '\\$&')} \\| .+ \\|$`, 'm'));
  assert.match(doc, new RegExp(`\\| Node\\.js \\| ${process.version} \\|`));
  assert.match(doc, /## Ban latency\n\nCommand: `npm run bench -- ok` — measured \S+ on f2b-fw \S+ \(commit \w+\+?\), load average [\d.]+ → [\d.]+, took /);
  assert.match(doc, /\| single ban, median \| 2\.5 ms \| ≤ 5 ms ✓ \| 250 ms \(fail2ban 1\.0\.2\) \| 0\.01× \|/);
  assert.match(doc, /\| RSS with 100,000 bans \| 150 MB \| ≤ 100 MB ✗ \| {2}\| {2}\|/);
  assert.match(doc, /\| lines \\\| pipes \| 1,234,567 lines\/s \|/);
  assert.match(doc, /- in a namespace/);
  assert.match(doc, /## boom\n\n\*\*Failed\*\* on .* — no figures:\n\n```\nError: kernel said no/);
  assert.match(doc, /## noexport\n\n\*\*Failed\*\*[\s\S]*does not export `bench: BenchModule`/);
});

test('running one module by name replaces its section and keeps the others\' last results', () => {
  okModule(3.75);
  const r = run('ok');
  assert.equal(r.status, 0, r.stderr);
  const doc = readFileSync(out, 'utf8');
  assert.match(doc, /\| single ban, median \| 3\.75 ms \|/);
  assert.doesNotMatch(doc, /\| 2\.5 ms \|/);
  assert.match(doc, /## boom\n\n\*\*Failed\*\*/, 'boom\'s earlier outcome is kept');
  assert.ok(doc.indexOf('<!-- bench:boom -->') < doc.indexOf('<!-- bench:ok -->'), 'modules stay in name order');
});

test('a module that crashes, hangs or leaves a timer behind does not stop or hang the run', () => {
  module('crash', `export const bench = { name: 'crash', async run() { console.error('about to die'); process.exit(3); } };\n`);
  module('hang', `export const bench = { name: 'hang', run: () => new Promise(() => setInterval(() => {}, 1000)) };\n`);
  module('leaky', `export const bench = { name: 'leaky', async run() { setInterval(() => {}, 1000);
    return { title: 'Leaky', command: 'npm run bench -- leaky', figures: [{ name: 'x', value: 1, unit: 'ms' }] }; } };\n`);
  const r = run('--timeout', '3', 'crash', 'hang', 'leaky');
  assert.equal(r.status, 0, r.stderr);
  const doc = readFileSync(out, 'utf8');
  assert.match(doc, /## crash\n\n\*\*Failed\*\*[^\n]*\n\n```\nthe module's process ended without a result \(exit code 3\)\n--- stderr \(tail\) ---\nabout to die\n```/);
  assert.match(doc, /## hang\n\n\*\*Failed\*\*[^\n]*\n\n```\ndid not finish within 3 s \(killed\)/);
  assert.match(doc, /## Leaky\n/);
  assert.match(doc, /## Ban latency/, 'modules not run keep their section');
});

test('an unknown module name is refused with the list of names', () => {
  const r = run('nosuch');
  assert.equal(r.status, 2);
  assert.match(r.stderr, /no module named nosuch; available: boom, crash, hang, leaky, noexport, ok/);
});

const MACHINE: MachineInfo = {
  cpu: 'CPU X', cores: 2, memoryGiB: 8, kernel: '6.1', debian: 'Debian 12', node: 'v20.0.0',
  f2bfw: '0.1.0 (commit abc1234)', nft: 'nftables v1.0.6', fail2ban: 'fail2ban 1.0.2-2 (installed)', date: '2026-12-02T10:00:00.000Z',
};

function outcome(name: string, value: number): ModuleOutcome {
  return { name, seconds: 1, load: { before: 1.5, after: 2.25 }, section: { title: `T ${name}`, command: `npm run bench -- ${name}`, figures: [{ name: 'f', value, unit: 'ms' }] } };
}

test('re-running one module keeps one Machine table: per-run facts are in the blocks, a merged document is repaired', () => {
  const first = renderDocument(MACHINE, [outcome('a', 1), outcome('b', 2)], ['a', 'b'], '');
  // What a git merge of two branches that each re-ran a module used to leave: Machine rows twice.
  const merged = first.replace('| nftables |', '| f2b-fw | 0.1.0 (commit 0000000) |\n| Last run | x: a |\n| nftables |');
  const later = { ...MACHINE, f2bfw: '0.1.0 (commit def5678+)', date: '2026-12-03T10:00:00.000Z' };
  const doc = renderDocument(later, [outcome('b', 3)], ['a', 'b'], merged);
  const machine = doc.slice(doc.indexOf('## Machine'), doc.indexOf('<!-- bench:a -->'));
  for (const label of ['CPU', 'Cores', 'Memory', 'Kernel', 'OS', 'Node.js', 'nftables', 'fail2ban (for comparison)']) {
    assert.equal(machine.split(`| ${label} |`).length, 2, `one ${label} row`);
  }
  assert.doesNotMatch(machine, /f2b-fw \||Last run|abc1234|def5678|0000000/, 'nothing that changes per run');
  assert.equal(doc.split('## Machine').length, 2);
  assert.match(doc, /<!-- bench:a -->\n## T a\n\nCommand: `npm run bench -- a` — measured 2026-12-02T10:00:00.000Z on f2b-fw 0.1.0 \(commit abc1234\), load average 1.50 → 2.25, took 1 s\./);
  assert.match(doc, /Command: `npm run bench -- b` — measured 2026-12-03T10:00:00.000Z on f2b-fw 0.1.0 \(commit def5678\+\)/);
  assert.match(doc, /\| f \| 3 ms \|/);
  assert.doesNotMatch(doc, /\| f \| 2 ms \|/);
  assert.equal(renderDocument(later, [outcome('b', 3)], ['a', 'b'], doc), doc, 'rendering again changes nothing');
});
