/**
 * A stdout nobody reads cannot grow the daemon: the console log buffer stops at
 * LIMITS.consoleLogBytes, the lines beyond are dropped, and a warning tells how
 * many once the pipe drains. The logger runs in a child process whose stdout
 * the test leaves unread until the child has logged everything.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { LIMITS } from '../src/core/defaults.js';

const LOG_MODULE = new URL('../src/core/log.js', import.meta.url).href;
const LINES = 64_000;

test('a flood of log lines into an unread stdout is bounded and the dropped lines are counted', async () => {
  const script = `import { createLogger } from ${JSON.stringify(LOG_MODULE)};
const log = createLogger({ level: 'info', target: 'STDOUT', pretty: false });
const pad = 'x'.repeat(1000);
const held = () => { gc(); return process.memoryUsage().heapUsed; };
const before = held();
for (let i = 0; i < ${LINES}; i++) log.info({ event: 'ban', i }, pad);
process.stderr.write(JSON.stringify({ growth: held() - before }) + '\\n');
setInterval(() => undefined, 1000);`;
  const child = spawn(process.execPath, ['--expose-gc', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    child.stdout.pause();
    const growth = await new Promise<number>((resolve, reject) => {
      let err = '';
      child.stderr.setEncoding('utf8').on('data', (c: string) => {
        err += c;
        if (err.includes('\n')) resolve((JSON.parse(err) as { growth: number }).growth);
      });
      child.once('exit', (code) => reject(new Error(`the child exited (${code}): ${err}`)));
    });
    // What the logger holds after a collection: the bounded buffer, not the 64 MB written.
    assert.ok(growth < LIMITS.consoleLogBytes * 2, `the heap holds ${growth} more bytes after ${LINES} KB of lines nobody read`);
    let buf = '';
    let delivered = 0;
    const warning = await new Promise<Record<string, unknown>>((resolve) => {
      child.stdout.setEncoding('utf8').on('data', (c: string) => {
        buf += c;
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = JSON.parse(buf.slice(0, nl)) as Record<string, unknown>;
          buf = buf.slice(nl + 1);
          if (line.event === 'ban') delivered++;
          if (line.event === 'log-dropped') resolve(line);
        }
      });
      child.stdout.resume();
    });
    assert.ok(delivered < LINES, 'lines beyond the buffer were dropped');
    assert.equal(warning.level, 40);
    assert.equal(warning.dropped, LINES - delivered, 'the warning counts every dropped line');
  } finally {
    child.kill('SIGKILL');
  }
});
