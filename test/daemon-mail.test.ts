import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { DaemonHarness } from './support/daemon-harness.js';
import { waitFor } from './support/netns.js';
import { fetchUnix } from './support/fetch-unix.js';
import { MailLab, parseMail } from './support/mail-lab.js';

/** A syslog time stamp for now (`Dec  2 07:40:01`), as sshd's lines carry. */
function syslogNow(): string {
  const d = new Date();
  const mon = d.toLocaleString('en-US', { month: 'short' });
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${mon} ${String(d.getDate()).padStart(2, ' ')} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

function jailLocal(log: string, extra = ''): string {
  return `[DEFAULT]\ndestemail = ops@example.org\nsender = f2b@example.org\n\n[sshd]\nenabled = true\nlogpath = ${log}\nmaxretry = 2\nfindtime = 10m\nbantime = 1h\n`
    + `ignoreip =\naction = %(action_mwl)s\n${extra}`;
}

/** Where the shipped jail.conf's action_mwl sends (a lone .local gives the mail action its transport). */
const TRANSPORT = '[Init]\nmailtransport = smtp\nsmtphost = 127.0.0.1\nwhoisserver = 127.0.0.1\n';

test('a real daemon with action = %(action_mwl)s: the ban is in the kernel, the SMTP peer gets fail2ban\'s mail with the whois text and the matched lines (hostile user names as text); counted in status and /metrics; a restart does not mail the restored ban again', async () => {
  const d = new DaemonHarness('mail', '', {});
  let lab: MailLab | null = null;
  try {
    const log = d.path('auth.log');
    d.config.write('jail.local', jailLocal(log));
    d.config.write('action.d/sendmail-whois-lines.local', TRANSPORT);
    d.config.write('f2b-fw.conf', `[Definition]\nmetrics = ${d.path('metrics.sock')}\n`);
    d.touch(log);
    lab = await MailLab.start('mail', d.ns);
    await d.start();
    const users = [`$(touch ${lab.canary})`, `\`touch ${lab.canary}\`;~!touch ${lab.canary}`];
    const lines = users.map((u, i) => `${syslogNow()} bastion sshd[27${i}]: Failed password for invalid user ${u} from 192.0.2.1 port 4${i}22 ssh2`);
    d.append(log, lines);
    assert.ok(await waitFor(() => d.elements('sshd').some((e) => e.addr === '192.0.2.1'), 20_000), 'banned in the kernel');
    assert.ok(await lab.waitMails(1, 30_000), 'the mail arrived');
    const m = lab.mails[0]!;
    assert.deepEqual([m.from, m.to], ['f2b@example.org', ['ops@example.org']]);
    const { headers, body } = parseMail(m.data);
    assert.match(headers.get('subject')![0]!, /^\[Fail2Ban\] sshd: banned 192\.0\.2\.1 from \S+$/);
    assert.match(body, /^Hi,\n\nThe IP 192\.0\.2\.1 has just been banned by Fail2Ban after\n2 attempts against sshd\.\n/);
    assert.match(body, /organisation: TEST-NET-1/, 'the whois text');
    assert.ok(body.includes(`Lines containing failures of 192.0.2.1 (max 1000)\n${lines.join('\n')}\n`), body);
    assert.ok(!existsSync(lab.canary), 'no command from a log line ran');
    assert.ok(await waitFor(async () => /Action sendmail-whois-lines:\s+sent 1, failed 0, dropped 0, queued 0/.test((await d.cli(['status', 'sshd'])).stdout), 15_000),
      (await d.cli(['status', 'sshd'])).stdout);
    const metrics = (await fetchUnix(d.path('metrics.sock'), '/metrics')).body;
    assert.match(metrics, /^f2b_fw_actions_total\{jail="sshd",action="sendmail-whois-lines",result="sent"\} 1$/m);
    await d.signal('SIGTERM');
    await d.start();
    assert.ok(d.elements('sshd').some((e) => e.addr === '192.0.2.1'), 'the ban is back after the restart');
    // A new ban after the restart: its mail comes after whatever the restart queued.
    d.append(log, [1, 2].map((i) => `${syslogNow()} bastion sshd[3${i}]: Failed password for root from 192.0.2.9 port 5${i}22 ssh2`));
    assert.ok(await lab.waitMails(2, 30_000), 'the new ban\'s mail');
    assert.ok(await waitFor(async () => /Action sendmail-whois-lines:\s+sent 1, failed 0, dropped 0, queued 0/.test((await d.cli(['status', 'sshd'])).stdout), 15_000));
    assert.deepEqual(lab.mails.map((x) => /banned (\S+)/.exec(parseMail(x.data).headers.get('subject')![0]!)![1]), ['192.0.2.1', '192.0.2.9'],
      'norestored: the restored ban was not mailed again');
  } finally {
    await lab?.destroy(false);
    await d.destroy();
  }
});

test('mail server down: the mail is retried with backoff and dropped with a log line once its ban has ended', async () => {
  const d = new DaemonHarness('maild', '', {});
  let lab: MailLab | null = null;
  try {
    const log = d.path('auth.log');
    d.config.write('jail.local', jailLocal(log).replace('bantime = 1h', 'bantime = 3'));
    d.config.write('action.d/sendmail-whois-lines.local', `${TRANSPORT}smtpport = 2599\n`);
    d.touch(log);
    lab = await MailLab.start('maild', d.ns);
    await d.start();
    d.append(log, [1, 2].map((i) => `${syslogNow()} bastion sshd[4${i}]: Failed password for root from 192.0.2.1 port 6${i}22 ssh2`));
    assert.ok(await waitFor(() => d.logs.some((l) => /action sendmail-whois-lines for 192\.0\.2\.1 failed \(mail not sent: .*ECONN/.test(l.msg)), 30_000),
      'the failure is logged with action, address and the reason');
    assert.ok(await waitFor(() => d.logs.some((l) => /dropped ban sshd 192\.0\.2\.1 .*expired at/.test(l.msg)), 40_000), d.logs.map((l) => l.msg).join('\n'));
    assert.ok(await waitFor(async () => /Action sendmail-whois-lines:\s+sent 0, failed [1-9]\d*, dropped 1, queued 0/.test((await d.cli(['status', 'sshd'])).stdout), 15_000),
      (await d.cli(['status', 'sshd'])).stdout);
    assert.equal(lab.mails.length, 0);
  } finally {
    await lab?.destroy(false);
    await d.destroy();
  }
});

test('kill -9 with 20 mails queued (mail server down): after the restart with the server reachable, each ban is mailed exactly once', async () => {
  const d = new DaemonHarness('mailk', '', {});
  let lab: MailLab | null = null;
  try {
    const log = d.path('auth.log');
    d.config.write('jail.local', jailLocal(log));
    d.config.write('action.d/sendmail-whois-lines.local', `${TRANSPORT}smtpport = 2599\n`);
    d.touch(log);
    lab = await MailLab.start('mailk', d.ns);
    await d.start();
    const addrs = Array.from({ length: 20 }, (_, i) => `198.51.100.${i + 10}`);
    d.append(log, addrs.flatMap((a, i) => [1, 2].map((k) => `${syslogNow()} bastion sshd[5${i}]: Failed password for root from ${a} port 1${k}22 ssh2`)));
    assert.ok(await waitFor(() => d.logs.filter((l) => /^\[sshd\] Ban /.test(l.msg)).length === 20, 30_000), '20 bans');
    assert.ok(await waitFor(() => d.logs.some((l) => /action sendmail-whois-lines for .* failed/.test(l.msg)), 30_000), 'a failed mail is logged');
    await d.signal('SIGKILL');
    d.config.write('action.d/sendmail-whois-lines.local', TRANSPORT);
    await d.start();
    assert.ok(await lab.waitMails(20, 60_000), `all 20 mailed after the restart (${lab.mails.length})`);
    assert.ok(await waitFor(async () => /queued 0/.test((await d.cli(['status', 'sshd'])).stdout), 15_000));
    const banned = lab.mails.map((m) => /banned (\S+)/.exec(parseMail(m.data).headers.get('subject')![0]!)![1]!);
    assert.deepEqual([...banned].sort(), [...addrs].sort(), 'each once');
  } finally {
    await lab?.destroy(false);
    await d.destroy();
  }
});
