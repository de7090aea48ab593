/**
 * TurnLines (src/core/log-turn.ts): lines of a turn go out after it, in the order
 * they were logged (held logging calls in their place), and at once past the byte bound;
 * a process dying within a turn still writes them to the log file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TurnLines } from '../src/core/log-turn.js';

const LOG_MODULE = new URL('../src/core/log.js', import.meta.url).href;

/** A TurnLines whose end of turn the test runs by hand. */
function turnLines(maxBytes = 1000): { turn: TurnLines; out: string[][]; endTurn: () => void } {
  const out: string[][] = [];
  let pending: (() => void)[] = [];
  const turn = new TurnLines((lines) => out.push([...lines]), (fn) => pending.push(fn), maxBytes);
  return { turn, out, endTurn: () => { const p = pending; pending = []; for (const fn of p) fn(); } };
}

test('lines of one turn are written together after it, in order, held calls in their place', () => {
  const { turn, out, endTurn } = turnLines();
  turn.write('a\n');
  turn.later(() => { turn.write('b\n'); turn.write('c\n'); });
  turn.write('d\n');
  assert.deepEqual(out, [], 'nothing is written during the turn');
  endTurn();
  assert.deepEqual(out, [['a\n', 'b\n', 'c\n', 'd\n']]);
  endTurn();
  assert.equal(out.length, 1, 'an empty turn writes nothing');
  turn.write('e\n');
  endTurn();
  assert.deepEqual(out[1], ['e\n'], 'the next turn is scheduled again');
});

test('past the byte bound the held lines are written at once, so a flood is never held', () => {
  const { turn, out, endTurn } = turnLines(10);
  turn.write('12345\n');
  assert.equal(out.length, 0);
  turn.write('67890\n');
  assert.deepEqual(out, [['12345\n', '67890\n']]);
  turn.write('x\n');
  endTurn();
  assert.deepEqual(out[1], ['x\n']);
});

test('a line logged in the turn the process dies in (an uncaught exception) still reaches the log file', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'f2b-log-turn-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'f2b.log');
  const script = `import { createLogger } from ${JSON.stringify(LOG_MODULE)};
const log = createLogger({ level: 'info', target: ${JSON.stringify(file)}, pretty: false });
log.info({ event: 'last' }, 'the last words');
throw new Error('boom');`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.notEqual(r.status, 0);
  assert.match(readFileSync(file, 'utf8'), /"msg":"the last words"/);
});
