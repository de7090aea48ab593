/**
 * The journal source: entry decoding, match validation, and the reader as a real
 * child process (a script printing journal-format JSON where journald is absent):
 * one process for the whole source, cursor kept across crashes and restarts,
 * restart with backoff. Against the real journal where journald runs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { ConfigError } from '../src/core/errors.js';
import { loadFilterDefinition } from '../src/config/filter-load.js';
import { compileFilter } from '../src/filter/filter.js';
import { createSources } from '../src/sources/source.js';
import { MemoryPositionStore } from '../src/sources/position.js';
import { journalMatchArgs, parseJournalLine, realtimeIso } from '../src/sources/journal-entry.js';
import type { JournalCommand } from '../src/sources/journal-source.js';
import { Collector, pause, tempDir } from './support/source-harness.js';
import { ManualClock } from './support/manual-clock.js';
import { waitFor } from './support/netns.js';

const FAKE = fileURLToPath(new URL('./support/fake-journalctl.js', import.meta.url));

function entry(n: number, unit = 'sshd.service'): Record<string, string> {
  return {
    __CURSOR: `s=abc;i=${n.toString(16)}`,
    __REALTIME_TIMESTAMP: String(1_763_701_777_000_000 + n * 1_000_001),
    _HOSTNAME: 'host',
    SYSLOG_IDENTIFIER: 'sshd',
    _PID: String(800 + n),
    _SYSTEMD_UNIT: unit,
    MESSAGE: `Failed password for root from 203.0.113.${n} port 22 ssh2`,
  };
}

function appendEntries(file: string, from: number, count: number, unit?: string): void {
  let s = '';
  for (let n = from; n < from + count; n++) s += `${JSON.stringify(entry(n, unit))}\n`;
  appendFileSync(file, s);
}

test('journal JSON becomes a syslog-shaped line with an RFC 3339 time in front', () => {
  const e = parseJournalLine(JSON.stringify(entry(9)), 4096)!;
  assert.equal(e.cursor, 's=abc;i=9');
  assert.equal(e.text, `${realtimeIso(String(1_763_701_777_000_000 + 9_000_009))} host sshd[809]: Failed password for root from 203.0.113.9 port 22 ssh2`);
  assert.equal(realtimeIso('1763701777123456'), '2025-11-21T05:09:37.123456Z');
});

test('journal fields as bytes, several values, newlines, missing parts and junk are handled', () => {
  const bytes = [...Buffer.from('bad \xff byte', 'latin1')];
  const e = parseJournalLine(JSON.stringify({ __CURSOR: 'c1', MESSAGE: bytes, _COMM: ['su', 'sudo'], SYSLOG_PID: '7' }), 4096)!;
  assert.equal(e.text, 'su[7]: bad \uFFFD byte');
  const forged = parseJournalLine(JSON.stringify({ __CURSOR: 'c2', MESSAGE: 'x\nsshd[1]: Failed password for root from 203.0.113.9' }), 4096)!;
  assert.equal(forged.text, 'x sshd[1]: Failed password for root from 203.0.113.9', 'a newline cannot forge a second line');
  assert.equal(parseJournalLine(JSON.stringify({ __CURSOR: 'c3', MESSAGE: 'y'.repeat(10_000) }), 4096)!.text.length, 4096);
  assert.equal(parseJournalLine('not json', 4096), null);
  assert.equal(parseJournalLine('[1,2]', 4096), null);
  assert.equal(parseJournalLine('{"MESSAGE":"no cursor"}', 4096), null);
});

test('journal lines go through the shipped sshd filter with the entry\'s own time', () => {
  const filter = compileFilter(loadFilterDefinition(join(tmpdir(), 'no-such-config-dir'), 'sshd'), { clock: { now: () => 1_763_701_800_000 } });
  const e = parseJournalLine(JSON.stringify(entry(9)), 4096)!;
  const hits = filter.feed({ source: 'journal', text: e.text, readAt: 0 });
  assert.equal(hits.length, 1);
  assert.equal(hits[0]!.addr, '203.0.113.9');
  assert.equal(hits[0]!.time, Math.floor((1_763_701_777_000_000 + 9_000_009) / 1000));
});

test('journalmatch tokens are FIELD=value or +; anything else is a ConfigError naming it', () => {
  assert.deepEqual(journalMatchArgs(['_SYSTEMD_UNIT=sshd.service + _COMM=sshd']), ['_SYSTEMD_UNIT=sshd.service', '+', '_COMM=sshd']);
  assert.throws(() => journalMatchArgs(['--output=cat'], { file: '/etc/f2b-fw/jail.local', line: 4, section: 'sshd' }),
    (e: unknown) => e instanceof ConfigError && /jail\.local:4 \[sshd\] journalmatch = "--output=cat"/.test(e.message));
  assert.throws(() => createSources({ logpath: [], backend: 'systemd', journalmatch: ['sshd'] }, new Collector().deps(new MemoryPositionStore())), ConfigError);
});

/** How far the fake reader got: entries looked at (its position in the journal) and printed. */
type FakeState = { pid: number; seen: number; printed: number };

function fakeCommand(dir: string, exitAfter?: number): { command: JournalCommand; calls(): string[][]; state(): FakeState | null; forget(): void } {
  const callsFile = join(dir, 'calls.jsonl');
  const stateFile = join(dir, 'state.json');
  const args = [FAKE, `--fake-journal=${join(dir, 'journal.jsonl')}`, `--fake-calls=${callsFile}`, `--fake-state=${stateFile}`];
  if (exitAfter !== undefined) args.push(`--fake-exit-after=${exitAfter}`);
  return {
    command: { file: process.execPath, args },
    // Complete lines only: the child may be writing the last one right now.
    calls: () => (existsSync(callsFile) ? readFileSync(callsFile, 'utf8').split('\n').slice(0, -1).map((l) => JSON.parse(l) as string[]) : []),
    // Written once the reader has seeked (null before), then after every look at the journal.
    state: () => (existsSync(stateFile) ? JSON.parse(readFileSync(stateFile, 'utf8')) as FakeState : null),
    forget: () => rmSync(stateFile, { force: true }),
  };
}

test('one long-lived reader: starts at the end, applies matches, saves the cursor, resumes after it on restart', async () => {
  const t = tempDir('journal');
  const journal = join(t.dir, 'journal.jsonl');
  writeFileSync(journal, '');
  appendEntries(journal, 0, 3);
  const fake = fakeCommand(t.dir);
  const store = new MemoryPositionStore();
  const c = new Collector();
  const spec = { logpath: [], backend: 'systemd' as const, journalmatch: ['_SYSTEMD_UNIT=sshd.service'] };
  let src = createSources(spec, c.deps(store, { journalCommand: fake.command }));
  try {
    await src.start();
    assert.ok(await waitFor(() => fake.state() !== null), 'the reader is at the journal\'s end before new entries come');
    appendEntries(journal, 3, 20);
    appendEntries(journal, 23, 5, 'cron.service');
    assert.ok(await c.waitLines(20), `got ${c.lines.length}`);
    assert.ok(await waitFor(() => fake.state()!.seen === 28), 'the reader looked at every entry');
    assert.equal(fake.state()!.printed, 20);
    assert.equal(c.lines.length, 20, 'old entries and other units left out');
    assert.match(c.lines[0]!.text, /sshd\[803\]: Failed password for root from 203\.0\.113\.3 /);
    assert.equal(c.lines[0]!.source, 'journal');
    assert.equal(c.lines[0]!.readAt, c.clock.now());
    assert.deepEqual(fake.calls(), [['--follow', '--output=json', '--all', '--quiet', '--lines=0', '_SYSTEMD_UNIT=sshd.service']]);
    await src.stop();
    assert.equal(store.get(src.name)!.firstLineHash, 's=abc;i=16', 'the last cursor handed out is saved');

    appendEntries(journal, 28, 2); // written while stopped
    fake.forget();
    src = createSources(spec, c.deps(store, { journalCommand: fake.command }));
    await src.start();
    assert.ok(await c.waitLines(22));
    assert.ok(await waitFor(() => fake.state()?.seen === 30));
    assert.equal(fake.state()!.printed, 2, 'nothing more is coming');
    assert.deepEqual(c.texts().slice(20).map((l) => l.match(/203\.0\.113\.(\d+)/)![1]), ['28', '29']);
    assert.equal(fake.calls()[1]![4], '--after-cursor=s=abc;i=16');
  } finally {
    await src.stop();
    t.cleanup();
  }
});

test('a reader that dies is reported and restarted after its cursor with backoff: nothing lost or doubled', async () => {
  const t = tempDir('journal-crash');
  const journal = join(t.dir, 'journal.jsonl');
  writeFileSync(journal, '');
  const fake = fakeCommand(t.dir, 4);
  const c = new Collector();
  const src = createSources({ logpath: [], backend: 'systemd' }, c.deps(new MemoryPositionStore(), { journalCommand: fake.command }));
  try {
    await src.start();
    assert.ok(await waitFor(() => fake.state() !== null));
    appendEntries(journal, 0, 10);
    assert.ok(await c.waitLines(10), `got ${c.lines.length}`);
    // The third reader (after two crashes) looked at all ten and printed the last two: nothing more is coming.
    assert.ok(await waitFor(() => fake.state()!.seen === 10 && fake.state()!.printed === 2));
    assert.deepEqual(c.texts().map((l) => Number(l.match(/203\.0\.113\.(\d+)/)![1])), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.equal(fake.calls().length, 3, 'one process per run, not per line');
    assert.deepEqual(fake.calls().map((a) => a[4]), ['--lines=0', '--after-cursor=s=abc;i=3', '--after-cursor=s=abc;i=7']);
    assert.equal(c.errors.length, 2);
    assert.match(c.errors[0]!.err.message, /exited with code 1: fake journal: simulated crash; restarting in \d+ ms/);
    assert.equal(c.errors[0]!.source, 'journal:');
  } finally {
    await src.stop();
    t.cleanup();
  }
});

test('a saved cursor journalctl cannot seek to is dropped: the reader starts at the end instead of failing forever', async () => {
  const t = tempDir('journal-badcursor');
  const journal = join(t.dir, 'journal.jsonl');
  writeFileSync(journal, '');
  appendEntries(journal, 0, 2);
  const fake = fakeCommand(t.dir);
  const store = new MemoryPositionStore();
  store.set('journal:', { offset: 0, firstLineHash: 'not-a-cursor' });
  const c = new Collector();
  const src = createSources({ logpath: [], backend: 'systemd' }, c.deps(store, { journalCommand: fake.command }));
  try {
    await src.start();
    assert.ok(await c.waitError('cursor'));
    assert.match(c.errors[0]!.err.message, /Failed to seek to cursor.*saved cursor is dropped/s);
    assert.ok(await waitFor(() => fake.calls().length === 2));
    assert.ok(await waitFor(() => fake.state() !== null), 'the second reader has seeked to the end');
    appendEntries(journal, 2, 1);
    assert.ok(await c.waitLines(1));
    assert.deepEqual(fake.calls().map((a) => a[4]), ['--after-cursor=not-a-cursor', '--lines=0']);
    assert.match(c.lines[0]!.text, /203\.0\.113\.2 /);
  } finally {
    await src.stop();
    t.cleanup();
  }
});

test('a reader that cannot start at all is reported and retried with growing delays; stop ends it', async () => {
  const c = new Collector();
  const delays = new ManualClock();
  const src = createSources({ logpath: [], backend: 'systemd' }, c.deps(new MemoryPositionStore(), {
    journalCommand: { file: '/nonexistent/journalctl', args: [] }, delays,
  }));
  await src.start(); // resolves once the failure is reported and a restart set
  assert.equal(c.errors.length, 1);
  for (const [i, ms] of [100, 200].entries()) {
    await delays.advance(ms);
    assert.ok(await waitFor(() => c.errors.length === i + 2), `restart ${i + 1} after ${ms} ms failed and was reported`);
  }
  await src.stop();
  const waits = c.errors.map((e) => Number(e.err.message.match(/restarting in (\d+) ms/)![1]));
  assert.match(c.errors[0]!.err.message, /could not be started/);
  assert.deepEqual(waits, [100, 200, 400]);
  assert.equal(delays.timers, 0, 'no restart pending after stop');
  await delays.advance(10_000);
  assert.equal(c.errors.length, 3, 'no retries after stop');
});

const journald = existsSync('/run/systemd/journal/socket') && spawnSync('systemd-cat', ['--help']).status === 0;
test('the real journal: lines sent to journald arrive through journalctl; the cursor resumes after a restart', {
  skip: journald ? false : 'journald is not running here (no /run/systemd/journal/socket or systemd-cat); the reader was tested above with a child printing journal JSON',
}, async () => {
  const tag = `f2bt-${randomBytes(4).toString('hex')}`;
  const send = (msg: string): void => {
    spawnSync('systemd-cat', ['-t', tag], { input: `${msg}\n` });
  };
  const spec = { logpath: [], backend: 'systemd' as const, journalmatch: [`SYSLOG_IDENTIFIER=${tag}`] };
  const store = new MemoryPositionStore();
  const c = new Collector();
  let src = createSources(spec, c.deps(store));
  try {
    send('sent before start, not read');
    await src.start();
    await pause(1000); // journalctl has seeked to the end
    send('Failed password for root from 203.0.113.77 port 22 ssh2');
    assert.ok(await c.waitLines(1, 10_000));
    assert.match(c.lines[0]!.text, new RegExp(`^\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z \\S+ ${tag}(\\[\\d+\\])?: Failed password for root from 203\\.0\\.113\\.77 port 22 ssh2$`));
    await src.stop();
    assert.match(store.get(src.name)!.firstLineHash, /^s=/);
    send('sent while stopped');
    src = createSources(spec, c.deps(store));
    await src.start();
    assert.ok(await c.waitLines(2, 10_000));
    await pause(500);
    assert.deepEqual(c.texts().map((l) => l.replace(/^.*?: /, '')), ['Failed password for root from 203.0.113.77 port 22 ssh2', 'sent while stopped']);
  } finally {
    await src.stop();
  }
});
