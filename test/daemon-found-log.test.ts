import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino, type Logger } from 'pino';
import { FoundLog } from '../src/daemon/found-log.js';

function capture(): { log: Logger; msgs: () => string[] } {
  const lines: string[] = [];
  const log = pino({ level: 'info', base: {} }, { write: (l: string) => { lines.push(l); } });
  return { log, msgs: () => lines.map((l) => (JSON.parse(l) as { msg: string }).msg) };
}

test('Found lines: one by one up to the per-second bound, the rest in one summary when the second is over', () => {
  let now = 1_700_000_000_000;
  const { log, msgs } = capture();
  const found = new FoundLog('sshd', log, { now: () => now }, 3);
  for (let i = 1; i <= 10; i++) found.note(`203.0.113.${i}`, now);
  assert.equal(msgs().length, 3);
  assert.match(msgs()[2]!, /^\[sshd\] Found 203\.0\.113\.3 - /);
  now += 1000;
  found.note('203.0.113.99', now);
  assert.deepEqual(msgs().slice(3).map((m) => m.replace(/ - .*/, '')), [
    '[sshd] Found 7 more failures (over 3 a second are counted, not logged one by one)',
    '[sshd] Found 203.0.113.99',
  ]);
  found.tell();
  assert.equal(msgs().length, 5, 'nothing untold: no summary');
});

test('Found lines: tell() writes the summary of a storm that nothing follows (the jail\'s timer calls it a second later)', async () => {
  const now = 1_700_000_000_000;
  const { log, msgs } = capture();
  const found = new FoundLog('sshd', log, { now: () => now }, 1);
  found.note('2001:db8::1', now);
  found.note('2001:db8::2', now);
  found.tell();
  assert.deepEqual(msgs().length, 2);
  assert.match(msgs()[1]!, /^\[sshd\] Found 1 more failures/);
});
