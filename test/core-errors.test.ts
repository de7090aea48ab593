import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ERROR_EXIT, KernelError, errorCode } from '../src/core/errors.js';
import { EXIT } from '../src/cli/command.js';

test('one closed set of error codes, each mapped to the exit codes README documents', () => {
  assert.equal(ERROR_EXIT.usage, EXIT.usage);
  assert.equal(ERROR_EXIT.config, EXIT.config);
  assert.equal(ERROR_EXIT.kernel, EXIT.kernel);
  assert.equal(ERROR_EXIT.environment, EXIT.environment);
  assert.equal(ERROR_EXIT['not-running'], EXIT.notRunning);
  assert.equal(ERROR_EXIT.permission, EXIT.permission);
  for (const exit of Object.values(ERROR_EXIT)) assert.ok(exit >= 1 && exit <= 7);
  assert.equal(errorCode('unknown-jail'), 'unknown-jail');
  assert.equal(errorCode('something a hostile peer made up'), 'internal', 'codes from the wire stay in the set');
  assert.equal(errorCode('__proto__'), 'internal');
});

test('a kernel error carries operation, object and errno', () => {
  const e = new KernelError('Operation not permitted', 'add element inet f2b-fw sshd-v4 { 203.0.113.9 }', { operation: 'add element', object: 'sshd-v4 203.0.113.9', errno: 1 });
  assert.deepEqual([e.code, e.operation, e.object, e.errno], ['kernel', 'add element', 'sshd-v4 203.0.113.9', 1]);
  assert.match(e.message, /while running: add element/);
});
