import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../src/core/errors.js';
import { DEFAULTS } from '../src/core/defaults.js';
import { parseDuration } from '../src/config/duration.js';
import { loadDaemonSettings } from '../src/config/daemon-conf.js';
import { tempConfigDir } from './support/config-files.js';

const pos = { file: 'jail.local', line: 7, section: 'sshd', key: 'bantime' };

describe('parseDuration', () => {
  it('reads plain seconds and fail2ban units', () => {
    const cases: [string, number][] = [
      ['600', 600], ['10m', 600], ['1h', 3600], ['1d', 86400], ['1w', 604800],
      ['1mo', Math.round(30.4375 * 86400)], ['1y', Math.round(365.25 * 86400)],
      ['1h30m', 5400], ['1d 12h', 129600], ['2 hours', 7200], ['90s', 90], ['1.5h', 5400], ['3min', 180],
    ];
    for (const [text, seconds] of cases) assert.equal(parseDuration(text, pos), seconds, text);
  });
  it('reads -1 (any negative number) as permanent', () => {
    assert.equal(parseDuration('-1', pos), null);
    assert.equal(parseDuration(' -100 ', pos), null);
  });
  it('refuses junk, naming file, line, key and value', () => {
    for (const bad of ['', 'ten minutes', '10x', '1h-5m', '5m junk']) {
      assert.throws(() => parseDuration(bad, pos), (e: unknown) =>
        e instanceof ConfigError && e.position.line === 7 && e.position.key === 'bantime' && e.position.value === bad
        && e.message.includes('jail.local:7 [sshd] bantime'), bad);
    }
  });
});

describe('loadDaemonSettings', () => {
  const tmp = tempConfigDir();
  after(() => tmp.remove());

  it('takes DEFAULTS when there is no f2b-fw.conf', () => {
    assert.deepEqual(loadDaemonSettings(tmp.dir), {
      socket: DEFAULTS.socket, pidfile: DEFAULTS.pidFile, dbfile: DEFAULTS.dbFile, dbpurgeage: DEFAULTS.dbPurgeAge,
      loglevel: DEFAULTS.logLevel, logtarget: DEFAULTS.logTarget, onStop: DEFAULTS.onStop,
    });
  });

  it('reads fail2ban.conf keys and ours from [Definition], .local winning', () => {
    tmp.write('f2b-fw.conf', '[Definition]\nloglevel = NOTICE\nlogtarget = STDOUT\nsocket = /run/x.sock\ndbpurgeage = 1d\n'
      + 'socketgroup = adm\non_stop = flush\nmetrics = 127.0.0.1:9191\nallowipv6 = auto\n');
    tmp.write('f2b-fw.local', '[Definition]\ndbpurgeage = 2d\n');
    const s = loadDaemonSettings(tmp.dir);
    assert.equal(s.loglevel, 'notice');
    assert.equal(s.logtarget, 'STDOUT');
    assert.equal(s.socket, '/run/x.sock');
    assert.equal(s.dbpurgeage, 2 * 86400);
    assert.equal(s.socketGroup, 'adm');
    assert.equal(s.onStop, 'flush');
    assert.equal(s.metrics, '127.0.0.1:9191');
  });

  it('refuses unknown keys and bad values with their position', () => {
    tmp.write('f2b-fw.local', '[Definition]\non_stop = later\n');
    assert.throws(() => loadDaemonSettings(tmp.dir), (e: unknown) =>
      e instanceof ConfigError && e.position.line === 2 && /on_stop must be keep or flush/.test(e.message));
    tmp.write('f2b-fw.local', '[Definition]\nlogleve = debug\n');
    assert.throws(() => loadDaemonSettings(tmp.dir), (e: unknown) =>
      e instanceof ConfigError && e.position.key === 'logleve' && /unknown key/.test(e.message));
    tmp.write('f2b-fw.local', '[Definition]\nloglevel = chatty\n');
    assert.throws(() => loadDaemonSettings(tmp.dir), /unknown log level/);
  });
});
