import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino, type Logger } from 'pino';
import { FoundLog } from '../src/daemon/found-log.js';
import { ManualClock } from './support/manual-clock.js';

function capture(): { log: Logger; msgs: () => string[] } {
  const lines: string[] = [];
  const log = pino({ level: 'info', base: {} }, { write: (l: string) => { lines.push(l); } });
  return { log, msgs: () => lines.map((l) => (JSON.parse(l) as { msg: string }).msg) };
}

test('Found lines: one by one up to the per-second bound, the rest in one summary when the second is over', async () => {
  const clock = new ManualClock();
  const { log, msgs } = capture();
  // Timers that never fire: the next line opens the new second and tells the summary itself.
  const found = new FoundLog('sshd', log, clock, { setTimeout: () => null, clearTimeout: () => undefined }, 3);
  for (let i = 1; i <= 10; i++) found.note(`203.0.113.${i}`, clock.now());
  assert.equal(msgs().length, 3);
  assert.match(msgs()[2]!, /^\[sshd\] Found 203\.0\.113\.3 - /);
  await clock.advance(1000);
  found.note('203.0.113.99', clock.now());
  assert.deepEqual(msgs().slice(3).map((m) => m.replace(/ - .*/, '')), [
    '[sshd] Found 7 more failures (over 3 a second are counted, not logged one by one)',
    '[sshd] Found 203.0.113.99',
  ]);
  found.tell();
  assert.equal(msgs().length, 5, 'nothing untold: no summary');
});

test('Found lines: a storm that nothing follows is summarised by the jail\'s timer a second later', async () => {
  const clock = new ManualClock();
  const { log, msgs } = capture();
  const found = new FoundLog('sshd', log, clock, clock, 1);
  found.note('2001:db8::1', clock.now());
  found.note('2001:db8::2', clock.now());
  found.note('2001:db8::3', clock.now());
  assert.equal(msgs().length, 1, 'the second and third are only counted');
  await clock.advance(999);
  assert.equal(msgs().length, 1, 'no summary before the second is over');
  await clock.advance(1);
  assert.deepEqual(msgs().slice(1), ['[sshd] Found 2 more failures (over 1 a second are counted, not logged one by one)']);
  await clock.advance(5000);
  assert.equal(msgs().length, 2, 'one summary, one timer');
});
