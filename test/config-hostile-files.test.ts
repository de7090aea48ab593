/**
 * Files a configuration names that are not configuration: devices, FIFOs,
 * huge files (issue 10.7) and foreign files such as /etc/shadow (10.15).
 * check-config runs as a real process; a hang fails through spawnSync's timeout.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { truncateSync } from 'node:fs';
import { join } from 'node:path';
import { CLI_ENTRY } from '../src/core/paths.js';
import { LIMITS } from '../src/core/defaults.js';
import { tempConfigDir } from './support/config-files.js';
import { DaemonHarness, jailSection } from './support/daemon-harness.js';

const JAIL = '[DEFAULT]\nenabled = false\n[sshd]\nenabled = false\n';

function checkConfig(dir: string): { status: number | null; stderr: string; signal: NodeJS.Signals | null } {
  const r = spawnSync(process.execPath, [CLI_ENTRY, 'check-config', '--config-dir', dir], { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stderr: r.stderr, signal: r.signal };
}

describe('only regular configuration files of bounded size are read', () => {
  const tmp = tempConfigDir();
  after(() => tmp.remove());

  it('[INCLUDES] before = /dev/zero is refused at once, naming the file', () => {
    const dir = join(tmp.dir, 'zero');
    tmp.write('zero/jail.conf', `[INCLUDES]\nbefore = /dev/zero\n${JAIL}`);
    const r = checkConfig(dir);
    assert.equal(r.signal, null, 'check-config did not hang');
    assert.equal(r.status, 3);
    assert.match(r.stderr, /\/dev\/zero: not a regular file/);
  });

  it('a FIFO include does not block the open', () => {
    const dir = join(tmp.dir, 'fifo');
    tmp.write('fifo/jail.conf', `[INCLUDES]\nafter = pipe.conf\n${JAIL}`);
    assert.equal(spawnSync('mkfifo', [join(dir, 'pipe.conf')]).status, 0);
    const r = checkConfig(dir);
    assert.equal(r.signal, null, 'check-config did not hang');
    assert.equal(r.status, 3);
    assert.match(r.stderr, /pipe\.conf: not a regular file/);
  });

  it('a file larger than the limit is refused with its size', () => {
    const dir = join(tmp.dir, 'big');
    tmp.write('big/jail.conf', `[INCLUDES]\nbefore = big.conf\n${JAIL}`);
    tmp.write('big/big.conf', '');
    truncateSync(join(dir, 'big.conf'), LIMITS.configFileBytes + 1);
    const r = checkConfig(dir);
    assert.equal(r.status, 3);
    assert.match(r.stderr, new RegExp(`big\\.conf: ${LIMITS.configFileBytes + 1} bytes: larger than`));
  });
});

describe('errors never quote a file that is not configuration', () => {
  const SECRET = 'root:$y$j9T$SECRETHASHxyz$0123456789:19700:0:99999:7:::';
  const tmp = tempConfigDir({ 'shadow': `${SECRET}\ndaemon:*:19700:0:99999:7:::\n`, 'bin.conf': '[a]\nk = v\n\u0000SECRETBIN\n' });
  after(() => tmp.remove());

  it('check-config names the file and line of an included shadow file, not its content', () => {
    tmp.write('c/jail.conf', `[INCLUDES]\nbefore = ${join(tmp.dir, 'shadow')}\n${JAIL}`);
    const r = checkConfig(join(tmp.dir, 'c'));
    assert.equal(r.status, 3);
    assert.match(r.stderr, new RegExp(`${join(tmp.dir, 'shadow')}:1: not a configuration file`));
    assert.doesNotMatch(r.stderr, /SECRETHASH|root:/);
  });

  it('a NUL byte makes a file not configuration, content not shown', () => {
    tmp.write('n/jail.conf', `[INCLUDES]\nafter = ${join(tmp.dir, 'bin.conf')}\n${JAIL}`);
    const r = checkConfig(join(tmp.dir, 'n'));
    assert.equal(r.status, 3);
    assert.match(r.stderr, /bin\.conf:3: not a configuration file: this line holds a NUL byte/);
    assert.doesNotMatch(r.stderr, /SECRETBIN/);
  });

  it('a reload of a configuration including it tells the client and the log neither', async () => {
    const d = new DaemonHarness('shadow', '');
    try {
      d.touch(d.path('a.log'));
      d.config.write('jail.local', jailSection('alpha', d.path('a.log')));
      await d.start();
      d.config.write('jail.local', `[INCLUDES]\nbefore = ${join(tmp.dir, 'shadow')}\n${jailSection('alpha', d.path('a.log'))}`);
      const r = await d.cli(['reload']);
      assert.notEqual(r.status, 0);
      assert.match(r.stderr, /shadow:1: not a configuration file/);
      assert.doesNotMatch(r.stdout + r.stderr, /SECRETHASH/);
      assert.equal((await d.cli(['ping'])).status, 0, 'the daemon keeps running');
      assert.ok(!d.logs.some((l) => JSON.stringify(l).includes('SECRETHASH')), 'nothing of it in the log');
    } finally {
      await d.destroy();
    }
  });
});
