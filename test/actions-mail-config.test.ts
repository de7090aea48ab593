import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { loadJailConfig } from '../src/config/load.js';
import { createExecutor } from '../src/actions/factory.js';
import { MailReporter } from '../src/actions/mail.js';
import { mailTransportConfig } from '../src/actions/mail-transport.js';
import { referral, whoisText } from '../src/actions/whois.js';
import { ConfigError } from '../src/core/errors.js';
import { systemClock, systemTimers } from '../src/core/clock.js';
import { tempConfigDir } from './support/config-files.js';
import { fetchFail2ban, removeFail2ban, type Fail2banTree } from './compat/samples.js';

let tree: Fail2banTree | string;
before(() => { tree = fetchFail2ban(); });
after(() => { if (typeof tree !== 'string') removeFail2ban(tree); });

const NATIVE = ['sendmail', 'sendmail-whois', 'sendmail-whois-lines', 'sendmail-whois-matches', 'sendmail-whois-ipmatches', 'sendmail-whois-ipjailmatches', 'mail', 'mail-whois', 'mail-whois-lines'];
const deps = { clock: systemClock, timers: systemTimers, log: pino({ level: 'silent' }) };

test('Debian\'s stock mail actions are native reporters; a .local replacing actionban makes one a command; the buffered/geoip ones and sendmail-common stay unsupported with the reason', (t) => {
  if (typeof tree === 'string') { t.skip(tree); return; }
  const refs = [...NATIVE, 'sendmail-buffered', 'mail-buffered', 'sendmail-geoip-lines', 'sendmail-common'].map((f) => `${f}[dest="ops@example.org"]`);
  const cfg = tempConfigDir({
    'jail.local': `[sshd]\nenabled = true\nlogpath = /dev/null\naction = ${refs.join('\n  ')}\n[web]\nenabled = true\nlogpath = /dev/null\nfilter = sshd\naction = sendmail-whois\n`,
    'action.d/mail-whois.local': '[Definition]\nactionban = echo "<ip>" >> /tmp/none\n',
    'action.d/sendmail-common.local': '[Init]\nmailtransport = smtp\nsmtphost = relay.example.org\nsmtptls = starttls\n',
  });
  try {
    cpSync(join(tree.configDir, 'action.d'), join(cfg.dir, 'action.d'), { recursive: true, force: false, errorOnExist: false });
    const loaded = loadJailConfig(cfg.dir);
    const got = loaded.actions.get('sshd')!.map((a) => [a.name, a.kind, a.reporter ?? '']);
    assert.deepEqual(got, [
      ...NATIVE.map((f) => [f, f === 'mail-whois' ? 'command' : 'reporter', f === 'mail-whois' ? '' : 'mail']),
      ['sendmail-buffered', 'unsupported', ''], ['mail-buffered', 'unsupported', ''], ['sendmail-geoip-lines', 'unsupported', ''], ['sendmail-common', 'unsupported', ''],
    ]);
    assert.match(loaded.actions.get('sshd')!.find((a) => a.name === 'mail-whois')!.reason, /actionban replaced in .*mail-whois\.local/);
    assert.match(loaded.actions.get('sshd')!.at(-1)!.reason, /only when a jail starts or stops/);
    for (const a of loaded.actions.get('sshd')!.filter((x) => x.reporter === 'mail')) assert.ok(createExecutor(a, deps) instanceof MailReporter, a.name);
    // sendmail-common.local's [Init] (included by the stock files) gives the transport; the reference's arguments the rest.
    assert.deepEqual(mailTransportConfig(loaded.actions.get('web')![0]!), { kind: 'smtp', host: 'relay.example.org', port: 25, tls: 'starttls', timeoutMs: 30_000 });
    const web = createExecutor(loaded.actions.get('web')![0]!, deps) as MailReporter;
    assert.ok(web instanceof MailReporter);
    assert.equal(web.norestored, true, 'the stock files\' norestored = 1');
  } finally { cfg.remove(); }
});

test('the shipped jail.conf: %(action_mwl)s is the firewall plus sendmail-whois-lines to destemail from sender, with no action.d at all', () => {
  const cfg = tempConfigDir({ 'jail.local': '[DEFAULT]\ndestemail = ops@example.org\n[sshd]\nenabled = true\nlogpath = /dev/null\naction = %(action_mwl)s\n' });
  try {
    const [fw, mail] = loadJailConfig(cfg.dir).actions.get('sshd')!;
    assert.equal(fw!.kind, 'firewall');
    assert.deepEqual([mail!.name, mail!.kind, mail!.reporter], ['sendmail-whois-lines', 'reporter', 'mail']);
    assert.equal(mail!.ref.args.get('dest'), 'ops@example.org');
    assert.equal(mail!.ref.args.get('sender'), 'root@<fq-hostname>');
    assert.ok(createExecutor(mail!, deps) instanceof MailReporter);
  } finally { cfg.remove(); }
});

test('bad mail options are refused naming the key and value', () => {
  const bad: [string, RegExp][] = [
    ['mailtransport=pigeon', /mailtransport must be sendmail or smtp/], ['mailtransport=smtp, smtpport=99999', /smtpport must be a port/],
    ['mailtransport=smtp, smtptls=maybe', /smtptls must be/], ['mailtransport=smtp, smtpuser=u', /smtpuser and smtppassword go together/],
    ['sendmailpath=sendmail', /absolute path/], ['mailtransport=smtp, smtpcafile=/nonexistent/ca.pem', /cannot read \/nonexistent\/ca\.pem: ENOENT/],
    ['whoistimeout=soon', /whoistimeout|duration/], ['grepmax=0', /grepmax/],
  ];
  for (const [args, re] of bad) {
    const cfg = tempConfigDir({ 'jail.local': `[sshd]\nenabled = true\nlogpath = /dev/null\naction = sendmail-whois-lines[${args}]\n` });
    try {
      const [a] = loadJailConfig(cfg.dir).actions.get('sshd')!;
      assert.throws(() => createExecutor(a!, deps), (e: unknown) => e instanceof ConfigError && re.test(e.message) && /jail\.local/.test(e.message), args);
    } finally { cfg.remove(); }
  }
});

test('whois text: Latin-1 answers decoded, control characters dropped, a split UTF-8 sequence at a cut kept valid; referrals only to plain host names', () => {
  assert.equal(whoisText(Buffer.from('Gr\xfc\xdfe\r\n\x1b[1mx\x00', 'latin1')), 'Grüße\n[1mx');
  assert.equal(whoisText(Buffer.from('Grüße', 'utf8').subarray(0, 5)), 'Grü');
  assert.equal(referral('% IANA\nrefer:        whois.ripe.net\n'), 'whois.ripe.net');
  assert.equal(referral('refer: $(touch x)\n'), undefined);
  assert.equal(referral('refer: evil.example;rm\n'), undefined);
  assert.equal(referral('nothing here'), undefined);
});
