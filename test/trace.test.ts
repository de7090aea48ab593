/** The ban path's tracer: marks in order on the monotonic clock, written and read back, a full recorder counting what it drops. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { STAGE, STAGES, TraceRecorder, monotonicMicros, parseTrace } from '../src/core/trace.js';

test('marks are written with their stage, monotonic time and CPU time, and read back in order', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'f2b-trace-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const rec = new TraceRecorder(16);
  const before = monotonicMicros();
  for (const s of STAGES) rec.mark(STAGE[s]);
  const after = monotonicMicros();
  rec.write(join(dir, 'marks'));
  const { marks, dropped } = parseTrace(readFileSync(join(dir, 'marks'), 'utf8'));
  assert.equal(dropped, 0);
  assert.deepEqual(marks.map((m) => m.stage), [...STAGES]);
  for (const [i, m] of marks.entries()) {
    assert.ok(m.at >= before - 1 && m.at <= after + 1, `mark ${m.stage} at ${m.at} outside [${before}, ${after}]`);
    if (i > 0) assert.ok(m.at >= marks[i - 1]!.at && m.cpu >= marks[i - 1]!.cpu);
  }
});

test('a full recorder keeps the first marks and counts the dropped ones', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'f2b-trace-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const rec = new TraceRecorder(2);
  rec.mark(STAGE.inotify);
  rec.mark(STAGE.read);
  rec.mark(STAGE.line);
  rec.write(join(dir, 'marks'));
  const { marks, dropped } = parseTrace(readFileSync(join(dir, 'marks'), 'utf8'));
  assert.deepEqual(marks.map((m) => m.stage), ['inotify', 'read']);
  assert.equal(dropped, 1);
});

test('lines that are not marks (a hostile or truncated file) are skipped', () => {
  const { marks, dropped } = parseTrace('read 12.5 40\nbogus 1 2\n\nline\ndropped 3\n');
  assert.deepEqual(marks.map((m) => m.stage), ['read']);
  assert.equal(marks[0]!.at, 12.5);
  assert.equal(dropped, 3);
});
