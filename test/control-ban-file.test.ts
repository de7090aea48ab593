/**
 * `f2b-fw ban JAIL --file PATH|-` against a real daemon on nftables in a
 * namespace of its own: chunks of a big file all reach the kernel and the
 * store, and each refused line is reported with its line number.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { DaemonHarness, jailSection } from './support/daemon-harness.js';
import { hostFirewallSnapshot } from './support/netns.js';
import { CLI_ENTRY } from '../src/core/paths.js';
import { banFileChunks, banFileEntries, BAN_FILE_CHUNK, type BanFileSummary } from '../src/cli/commands/ban-file.js';

const hostBefore = hostFirewallSnapshot();
after(() => assert.equal(hostFirewallSnapshot(), hostBefore, 'the host firewall is untouched'));

const COUNT = 12_000; // two chunks; the harness lists sets within spawnSync's 1 MB buffer

/** `f2b-fw ban … --file -` with `input` on stdin. */
function banStdin(h: DaemonHarness, args: readonly string[], input: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('node', [CLI_ENTRY, 'ban', ...args, '--file', '-', '--socket', h.socket], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => { stdout += c; });
    child.stderr.setEncoding('utf8').on('data', (c: string) => { stderr += c; });
    child.on('close', (status) => resolve({ status, stdout, stderr }));
    child.stdin.end(input);
  });
}

test('ban file lines: comments and blank lines skipped, line numbers kept, chunks within the limits', () => {
  const entries = banFileEntries('# list\n192.0.2.1\n\n  198.51.100.0/24   # a net\n\t2001:db8::1\r\n#\n');
  assert.deepEqual(entries, [{ line: 2, text: '192.0.2.1' }, { line: 4, text: '198.51.100.0/24' }, { line: 5, text: '2001:db8::1' }]);
  const many = Array.from({ length: 2 * BAN_FILE_CHUNK + 1 }, (_, i) => ({ line: i + 1, text: `2001:db8:7::${i.toString(16)}` }));
  assert.deepEqual(banFileChunks(many).map((c) => c.length), [BAN_FILE_CHUNK, BAN_FILE_CHUNK, 1]);
});

test(`ban --file with ${COUNT.toLocaleString('en-US')} addresses: all in the kernel and the store; refused lines reported by number, the rest banned`, async () => {
  const h = new DaemonHarness('banfile', '');
  try {
    const logfile = h.path('auth.log');
    h.touch(logfile);
    h.config.write('jail.local', jailSection('bf', logfile, { ignoreip: '203.0.113.5', bantime: '1h' }));
    await h.start();
    const addrs = Array.from({ length: COUNT }, (_, i) => `2001:db8:6::${(i + 1).toString(16)}`);
    const bad = ['127.0.0.1', 'not-an-address', '::/0', '203.0.113.5'];
    // Line 1 a comment, then the addresses, the bad ones at known lines, one address twice.
    const lines = ['# addresses to ban', ...addrs.slice(0, 10), ...bad, ...addrs.slice(10), '198.51.100.0/24  # a whole net', addrs[0]!, ''];
    const file = h.path('ban.txt');
    writeFileSync(file, lines.join('\n'));
    const r = await h.cli(['ban', 'bf', '--file', file, '--json']);
    assert.equal(r.status, 1, 'refused lines make the exit status 1');
    const summary = JSON.parse(r.stdout) as BanFileSummary;
    assert.equal(summary.addresses, COUNT + bad.length + 2);
    assert.equal(summary.banned, COUNT + 1);
    assert.deepEqual(summary.refused.map((x) => [x.line, x.addr]), [[12, '127.0.0.1'], [13, 'not-an-address'], [14, '::/0'], [15, '203.0.113.5']]);
    assert.match(summary.refused[1]!.message, /not an IP address/);
    assert.match(summary.refused[3]!.message, /ignoreip/);
    const v6 = h.elements('bf', 'v6').map((e) => e.addr);
    assert.equal(v6.length, COUNT, 'every address in the kernel');
    assert.equal(new Set(v6).size, COUNT);
    assert.deepEqual(h.elements('bf', 'v4-net').map((e) => e.addr), ['198.51.100.0/24']);
    const banned = await h.cliJson<{ addr: string }[]>(['banned']);
    assert.equal(banned.length, COUNT + 1, 'every address in the store');

    // stdin, text output: refusals on stderr with the line, the summary on stdout; banned ones already banned.
    const again = await banStdin(h, ['bf'], `${addrs[5]}\n::1\n${addrs[6]}\n`);
    assert.equal(again.status, 1);
    assert.match(again.stderr, /^stdin:2: ::1: .*loopback/m);
    assert.match(again.stdout, /\[bf\] 0 banned, 2 already banned \(\d extended\), 1 refused, of 3 address\(es\)/);
    const fine = await banStdin(h, ['bf'], '192.0.2.77\n');
    assert.equal(fine.status, 0, fine.stderr);
    assert.deepEqual(h.elements('bf').map((e) => e.addr), ['192.0.2.77']);
  } finally {
    await h.destroy();
  }
});
