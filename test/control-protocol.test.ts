import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PROTOCOL_VERSION, ProtocolError, encodeError, encodeRequest, encodeResult, parseRequest, parseResponse } from '../src/control/protocol.js';
import { LineSplitter, LineTooLong } from '../src/sources/line-splitter.js';
import { formatDaemonStatus, formatDuration, formatJailStatus, formatValue } from '../src/control/format.js';

test('a request round-trips through encode and parse', () => {
  const line = encodeRequest(7, 'ban', { jail: 'sshd', addrs: ['203.0.113.9'] });
  assert.ok(line.endsWith('\n'));
  assert.deepEqual(parseRequest(line.trimEnd()), { v: PROTOCOL_VERSION, id: 7, cmd: 'ban', args: { jail: 'sshd', addrs: ['203.0.113.9'] } });
  assert.deepEqual(parseRequest('{"v":1,"id":1,"cmd":"ping"}').args, {});
});

test('malformed requests are refused with a code and, where readable, the id', () => {
  const refused = (line: string): ProtocolError => {
    try {
      parseRequest(line);
    } catch (e) {
      assert.ok(e instanceof ProtocolError);
      return e;
    }
    assert.fail(`accepted ${line}`);
  };
  assert.equal(refused('not json').code, 'bad-request');
  assert.equal(refused('[1,2]').code, 'bad-request');
  const v = refused('{"v":2,"id":4,"cmd":"ping"}');
  assert.equal(v.code, 'version');
  assert.equal(v.id, 4);
  assert.match(v.message, /version 2 is not supported .*speaks version 1/);
  assert.equal(refused('{"v":1,"id":"x","cmd":"ping"}').code, 'bad-request');
  assert.equal(refused('{"v":1,"id":3,"cmd":""}').id, 3);
  assert.equal(refused('{"v":1,"id":3,"cmd":"ping","args":[1]}').code, 'bad-request');
});

test('responses parse into ok/result or ok/error', () => {
  assert.deepEqual(parseResponse(encodeResult(3, { a: 1 }).trimEnd()), { v: 1, id: 3, ok: true, result: { a: 1 } });
  assert.deepEqual(parseResponse(encodeResult(3, undefined).trimEnd()), { v: 1, id: 3, ok: true, result: null });
  assert.deepEqual(parseResponse(encodeError(4, 'unknown-jail', 'no jail x').trimEnd()), {
    v: 1, id: 4, ok: false, error: { code: 'unknown-jail', message: 'no jail x' },
  });
  assert.throws(() => parseResponse('{"id":1}'), ProtocolError);
});

/** A refusing splitter (the control protocol's) and a function returning the lines each chunk completed. */
function ndjson(cap: number): { s: LineSplitter; push(chunk: string): string[] } {
  let lines: string[] = [];
  const s = new LineSplitter(cap, (line) => lines.push(line), 'refuse');
  return {
    s,
    push(chunk) {
      s.feed(Buffer.from(chunk));
      const done = lines;
      lines = [];
      return done;
    },
  };
}

test('LineSplitter (refuse) joins chunks, splits lines and refuses a line past the cap', () => {
  const { s, push } = ndjson(10);
  assert.deepEqual(push('ab'), []);
  assert.deepEqual(push('c\nde\n\nf'), ['abc', 'de', '']);
  assert.equal(s.pendingBytes, 1);
  assert.deepEqual(push('é\n'), ['fé']);
  assert.throws(() => push('0123456789x'), LineTooLong, 'refused before its newline arrives');
  const t = ndjson(4);
  t.push('abc');
  assert.throws(() => t.push('de\n'), LineTooLong, 'the cap counts bytes across chunks');
  assert.throws(() => ndjson(4).push('abcde\n'), LineTooLong, 'a long line inside one chunk is refused too');
  assert.deepEqual(ndjson(4).push('abcd\n'), ['abcd'], 'a line of exactly the cap is taken');
});

test('status trees have fail2ban-client\'s layout', () => {
  assert.equal(
    formatDaemonStatus({ jails: ['sshd', 'recidive'], pid: 1, startedAt: 0, backend: 'nftables', currentlyBanned: 0, store: { state: 'ok', reason: null, since: 0, unwritten: 0 } }),
    'Status\n|- Number of jail:\t2\n`- Jail list:\tsshd, recidive',
  );
  assert.equal(
    formatJailStatus({
      jail: 'sshd', currentlyFailed: 1, totalFailed: 9, files: ['/var/log/auth.log', '/var/log/secure'],
      currentlyBanned: 2, totalBanned: 3, bannedList: ['203.0.113.9', '2001:db8::1'],
    }),
    [
      'Status for the jail: sshd',
      '|- Filter',
      '|  |- Currently failed:\t1',
      '|  |- Total failed:\t9',
      '|  `- File list:\t/var/log/auth.log /var/log/secure',
      '`- Actions',
      '   |- Currently banned:\t2',
      '   |- Total banned:\t3',
      '   `- Banned IP list:\t203.0.113.9 2001:db8::1',
    ].join('\n'),
  );
});

test('durations and values read like fail2ban-client\'s', () => {
  assert.equal(formatDuration(0), '0s');
  assert.equal(formatDuration(3725), '1h 2m 5s');
  assert.equal(formatDuration(86400), '1d 0h 0m 0s');
  assert.equal(formatValue(null), '-1');
  assert.equal(formatValue(600), '600');
  assert.equal(formatValue(['192.0.2.0/24', '198.51.100.7']), '192.0.2.0/24\n198.51.100.7');
});
