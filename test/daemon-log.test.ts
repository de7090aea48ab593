import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { fail2banTime, logBanEvent, prettyLine } from '../src/core/log.js';

test('ban lines carry jail and address as fields and fail2ban\'s wording as the message; a terminal gets readable text', () => {
  const lines: string[] = [];
  const log = pino({ level: 'info', base: { pid: 1 } }, { write: (l: string) => { lines.push(l); } });
  logBanEvent(log, 'Ban', 'sshd', '203.0.113.9', { bantime: 600 });
  logBanEvent(log, 'already banned', 'sshd', '203.0.113.9');
  const at = new Date(2026, 0, 2, 3, 4, 5).getTime();
  logBanEvent(log, 'Found', 'sshd', '2001:db8::1', {}, at);
  const [ban, already, found] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.deepEqual([ban!.jail, ban!.addr, ban!.event, ban!.msg, ban!.bantime], ['sshd', '203.0.113.9', 'ban', '[sshd] Ban 203.0.113.9', 600]);
  assert.deepEqual([already!.event, already!.msg], ['already-banned', '[sshd] 203.0.113.9 already banned']);
  assert.equal(found!.msg, '[sshd] Found 2001:db8::1 - 2026-01-02 03:04:05');
  assert.equal(fail2banTime(at), '2026-01-02 03:04:05');
  const pretty = prettyLine(lines[0]!);
  assert.match(pretty, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} INFO  \[sshd\] Ban 203\.0\.113\.9 bantime=600\n$/);
  assert.equal(prettyLine('not json'), 'not json', 'a foreign line passes through');
});
