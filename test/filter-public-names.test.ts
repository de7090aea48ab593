import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadJailConfig } from '../src/config/load.js';
import { loadFilterDefinition } from '../src/config/filter-load.js';
import { compileFilter } from '../src/filter/filter.js';
import { tempConfigDir } from './support/config-files.js';
import { line } from './support/filter-def.js';

const NOW = Date.UTC(2026, 10, 21, 6, 0, 0);

test('a custom filter.d/mine.conf written for fail2ban (before = apache-common.conf, %(_apache_error_client)s) works with only that file and a jail.local', () => {
  const cfg = tempConfigDir({
    'filter.d/mine.conf': '[INCLUDES]\nbefore = apache-common.conf\n[Definition]\nfailregex = ^%(_apache_error_client)s AH01630: client denied by server configuration\nignoreregex =\n',
    'jail.local': '[mine]\nenabled = true\nlogpath = /dev/null\nfilter = mine\nport = http\n',
  });
  try {
    const loaded = loadJailConfig(cfg.dir);
    const jail = loaded.jails.find((j) => j.name === 'mine')!;
    const f = compileFilter(loadFilterDefinition(cfg.dir, 'mine', jail), { clock: { now: () => NOW } });
    const hits = [
      '[Sat Nov 21 05:09:31.123456 2026] [authz_core:error] [pid 1234:tid 5678] [client 203.0.113.9:50122] AH01630: client denied by server configuration: /srv/www',
      '[Sat Nov 21 05:09:32 2026] [error] [client 203.0.113.10] AH01630: client denied by server configuration: /srv/www',
    ].flatMap((l) => f.feed(line(l)));
    assert.deepEqual(hits.map((h) => h.addr), ['203.0.113.9', '203.0.113.10']);
  } finally { cfg.remove(); }
});

test('common.conf defines fail2ban\'s public names (__prefix_line, __hostname, _daemon, __daemon_combs_re, __kernel_prefix, …)', () => {
  const names = ['__prefix_line', '__hostname', '_daemon', '__pid_re', '__daemon_re', '__daemon_extra_re', '__daemon_combs_re', '__kernel_prefix', '__md5hex', '__bsd_syslog_verbose', '__vserver', '__date_ambit', '__pam_auth'];
  const cfg = tempConfigDir({
    'filter.d/mine.conf': `[INCLUDES]\nbefore = common.conf\n[Definition]\n_daemon = myd\nfailregex = ^%(__prefix_line)sbad login from <HOST>$\nignoreregex = ${names.map((n) => `%(${n})s`).join('')}\n`,
  });
  try {
    const f = compileFilter(loadFilterDefinition(cfg.dir, 'mine'), { clock: { now: () => NOW } });
    assert.deepEqual(f.feed(line('Nov 21 05:09:31 host myd[42]: bad login from 198.51.100.3')).map((h) => h.addr), ['198.51.100.3']);
  } finally { cfg.remove(); }
});
