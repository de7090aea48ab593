import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { banValues } from '../src/actions/hub.js';
import { loadFilterDefinition } from '../src/config/filter-load.js';
import { compileFilter } from '../src/filter/filter.js';
import { MAIL_DEFAULTS } from '../src/core/defaults.js';
import type { BanValues } from '../src/actions/tags.js';
import { MailLab, parseMail, type ReceivedMail } from './support/mail-lab.js';
import { tempConfigDir } from './support/config-files.js';
import { line } from './support/filter-def.js';
import { processEnded } from './support/process-ended.js';

let lab: MailLab;

before(async () => { lab = await MailLab.start('mail'); });
after(async () => { await lab?.destroy(); });

const SMTP = { mailtransport: 'smtp', smtphost: 'smtp.test', smtpport: '25', whoisserver: '127.0.0.1', dest: 'admin@example.org', sender: 'f2b@host.test', sendername: 'F2B Box' };

function ban(ip: string, matches: readonly string[], fields: Record<string, string> = {}): BanValues {
  return banValues({ op: 'ban', jail: 'sshd', addr: ip, bannedAt: Date.now(), expiresAt: null, banCount: 1, failures: matches.length, matches, fields });
}

/** Runs one reporter for `bans` and returns the mails that arrived for them. */
async function send(file: string, args: Record<string, string>, bans: BanValues[]): Promise<{ outcomes: unknown[]; mails: ReceivedMail[] }> {
  const before = lab.mails.length;
  const { outcomes } = await lab.run(file, args, bans);
  const done = outcomes.filter((o) => (o as { kind: string }).kind === 'done').length;
  assert.ok(await lab.waitMails(before + done), 'every delivered mail reached the peer');
  return { outcomes, mails: lab.mails.slice(before) };
}

test('sendmail-whois-lines over SMTP: fail2ban\'s wording, headers from dest/sender/sendername/name, the whois referral followed once, the matched lines', async () => {
  const lines = ['sshd[1]: Failed password for root from 198.51.100.7 port 22 ssh2', 'sshd[1]: Failed password for admin from 198.51.100.7 port 23 ssh2'];
  const { outcomes, mails } = await send('sendmail-whois-lines', SMTP, [ban('198.51.100.7', lines)]);
  assert.deepEqual(outcomes, [{ kind: 'done' }]);
  const m = mails[0]!;
  assert.equal(m.from, 'f2b@host.test');
  assert.deepEqual(m.to, ['admin@example.org']);
  const { headers, body } = parseMail(m.data);
  assert.deepEqual(headers.get('subject'), ['[Fail2Ban] sshd: banned 198.51.100.7 from host.test']);
  assert.deepEqual(headers.get('from'), ['F2B Box <f2b@host.test>']);
  assert.deepEqual(headers.get('to'), ['admin@example.org']);
  assert.match(headers.get('message-id')![0]!, /^<[0-9a-f]{32}\.f2b-fw@host\.test>$/);
  assert.equal(body.trimEnd(), [
    'Hi,', '', 'The IP 198.51.100.7 has just been banned by Fail2Ban after', '2 attempts against sshd.', '', '',
    'Here is more information about 198.51.100.7 :', '',
    '% registry.test', 'inetnum: 198.51.100.0 - 198.51.100.255', 'netname: REGISTRY-NET for 198.51.100.7', '',
    `Lines containing failures of 198.51.100.7 (max ${MAIL_DEFAULTS.grepMax})`, ...lines, '', '',
    'Regards,', '', 'Fail2Ban',
  ].join('\n'));
});

test('a hostile whois answer (~! lines, $(…), backticks, a lone dot, header lines, control characters) is body text: no command runs, no header is forged', async () => {
  const { outcomes, mails } = await send('sendmail-whois', SMTP, [ban('192.0.2.2', ['x'])]);
  assert.deepEqual(outcomes, [{ kind: 'done' }]);
  const { headers, body } = parseMail(mails[0]!.data);
  assert.deepEqual(headers.get('subject'), ['[Fail2Ban] sshd: banned 192.0.2.2 from host.test'], 'one subject: the forged line stayed in the body');
  assert.deepEqual(headers.get('to'), ['admin@example.org']);
  for (const s of [`~! touch ${lab.canary}`, `~|touch ${lab.canary}`, `$(touch ${lab.canary})`, `\`touch ${lab.canary}\``, '\n.\n', 'Subject: forged', 'netname: EVIL-NET']) {
    assert.ok(body.includes(s), `body carries ${JSON.stringify(s)}`);
  }
  assert.ok(!/[\u0000\u001b]/.test(body), 'control characters removed');
  assert.ok(!existsSync(lab.canary), 'no command of the whois answer ran');
});

test('a 10 MB whois answer is cut at 64 KiB and marked; a whois server that never answers is given up at whoistimeout; the mail goes either way', async () => {
  const { outcomes, mails } = await send('sendmail-whois', { ...SMTP, whoistimeout: '1' }, [ban('192.0.2.3', ['x']), ban('192.0.2.4', ['y'])]);
  assert.deepEqual(outcomes, [{ kind: 'done' }, { kind: 'done' }]);
  const big = parseMail(mails.find((m) => m.data.includes('192.0.2.3'))!.data).body;
  assert.ok(big.length < MAIL_DEFAULTS.whoisMaxBytes + 1000, `body capped (${big.length} chars)`);
  assert.ok(big.includes(`[f2b-fw whois: answer of 127.0.0.1 cut at ${MAIL_DEFAULTS.whoisMaxBytes} bytes]`));
  const silent = parseMail(mails.find((m) => m.data.includes('192.0.2.4'))!.data).body;
  assert.ok(silent.includes('[f2b-fw whois: no complete answer from 127.0.0.1 within 1 s]'), silent);
  assert.match(silent, /Here is more information about 192\.0\.2\.4 :\n\n\[f2b-fw whois/);
});

test('injection through the stock sshd filter: user names with every shell metacharacter reach the mail as text, no command runs', async () => {
  const mark = lab.canary;
  const names = [`$(touch ${mark})`, `\`touch ${mark}\``, `";touch ${mark};"`, `';touch ${mark};'`, `|touch ${mark}`, `&&touch\${IFS}${mark}`, `~!touch ${mark}`, 'a<b>c&d*e?f[g]h{i}j\\k'];
  const sshd = compileFilter(loadFilterDefinition(lab.dir.dir, 'sshd'), { clock: { now: () => Date.UTC(2026, 10, 21, 6, 0, 0) } });
  const hits = names.flatMap((n, i) => sshd.feed(line(`Nov 21 05:09:3${i} bastion sshd[2716]: Failed password for invalid user ${n} from 192.0.2.1 port 5136${i} ssh2`)));
  assert.equal(hits.length, names.length);
  const bans = hits.map((h) => ban(h.addr, h.matches, h.fields));
  const { outcomes, mails } = await send('sendmail-whois-matches', SMTP, bans);
  assert.ok(outcomes.every((o) => (o as { kind: string }).kind === 'done'));
  const bodies = mails.map((m) => parseMail(m.data).body).join('\n');
  for (const n of names) assert.ok(bodies.includes(`invalid user ${n} from 192.0.2.1`), `the mail carries ${n}`);
  assert.match(bodies, /Matches:\n\n.*Failed password/);
  assert.match(bodies, /organisation: TEST-NET-1/);
  assert.ok(!existsSync(mark), 'no injected command ran');
});

test('STARTTLS with the test CA and AUTH: delivered encrypted and authenticated; an untrusted certificate or a wrong password is retried, a 550 refusal dropped, a closed port retried', async () => {
  const tls = { ...SMTP, smtpport: '587', smtptls: 'starttls', smtpuser: 'f2b', smtppassword: 's3cret', smtpcafile: lab.certs.ca };
  const ok = await send('sendmail', tls, [ban('192.0.2.9', ['x'])]);
  assert.deepEqual(ok.outcomes, [{ kind: 'done' }]);
  assert.equal(ok.mails[0]!.secure, true);
  assert.equal(ok.mails[0]!.user, 'f2b');
  assert.equal(parseMail(ok.mails[0]!.data).body.trimEnd(), 'Hi,\n\nThe IP 192.0.2.9 has just been banned by Fail2Ban after\n1 attempts against sshd.\n\nRegards,\n\nFail2Ban');
  const { smtpcafile: _ca, ...untrusted } = tls;
  const r = await lab.run('sendmail', untrusted, [ban('192.0.2.9', ['x'])]);
  assert.equal(r.outcomes[0]!.kind, 'retry');
  assert.match((r.outcomes[0] as { error: string }).error, /certificate/i);
  const wrong = await lab.run('sendmail', { ...tls, smtppassword: 'nope' }, [ban('192.0.2.9', ['x'])]);
  assert.equal(wrong.outcomes[0]!.kind, 'retry');
  assert.match((wrong.outcomes[0] as { error: string }).error, /EAUTH/);
  const refused = await lab.run('sendmail', { ...SMTP, dest: 'refuse@example.org' }, [ban('192.0.2.9', ['x'])]);
  assert.equal(refused.outcomes[0]!.kind, 'drop');
  assert.match((refused.outcomes[0] as { reason: string }).reason, /550/);
  const down = await lab.run('sendmail', { ...SMTP, smtpport: '2599' }, [ban('192.0.2.9', ['x'])]);
  assert.equal(down.outcomes[0]!.kind, 'retry');
  assert.match((down.outcomes[0] as { error: string }).error, /ECONNECTION|ECONNREFUSED/);
});

test('the sendmail transport runs sendmailpath with -i -f SENDER DEST… (no shell) and the message on stdin', async () => {
  const t = tempConfigDir();
  try {
    const fake = t.write('sendmail', `#!/bin/sh\nprintf '%s\\n' "$@" > ${t.dir}/args\ncat > ${t.dir}/stdin\n`);
    chmodSync(fake, 0o755);
    const { outcomes } = await lab.run('mail-whois-lines', { sendmailpath: fake, whoisserver: '127.0.0.1', dest: 'ops@example.org, sec@example.org' },
      [ban('192.0.2.1', [`line with $(touch ${lab.canary})`])]);
    assert.deepEqual(outcomes, [{ kind: 'done' }]);
    assert.deepEqual(readFileSync(join(t.dir, 'args'), 'utf8').trim().split('\n'), ['-i', '-f', 'fail2ban@host.test', 'ops@example.org', 'sec@example.org'], 'the bare default sender qualified, both recipients');
    const { headers, body } = parseMail(readFileSync(join(t.dir, 'stdin'), 'utf8'));
    assert.deepEqual(headers.get('subject'), ['[Fail2Ban] sshd: banned 192.0.2.1 from host.test']);
    assert.match(body, /status: +RESERVED\n\nLines containing failures of 192\.0\.2\.1 \(max 1000\)\nline with \$\(touch /);
    assert.ok(!existsSync(lab.canary));
  } finally { t.remove(); }
});

test('sendmail: a binary that fails is retried; one that hangs is killed at the timeout and retried', async () => {
  const t = tempConfigDir();
  try {
    const fake = t.write('sendmail', '#!/bin/sh\ncat >/dev/null\necho "queue full" >&2\nexit 75\n');
    chmodSync(fake, 0o755);
    const { outcomes } = await lab.run('sendmail', { sendmailpath: fake }, [ban('192.0.2.1', ['x'])]);
    assert.equal(outcomes[0]!.kind, 'retry');
    assert.match((outcomes[0] as { error: string }).error, /exited with code 75/);
    const hang = t.write('hang', `#!/bin/sh\necho $$ > ${t.dir}/pid\ncat >/dev/null\nexec sleep 300\n`);
    chmodSync(hang, 0o755);
    const r = await lab.run('sendmail', { sendmailpath: hang, timeout: '1' }, [ban('192.0.2.1', ['x'])]);
    assert.equal(r.outcomes[0]!.kind, 'retry');
    const pid = Number(readFileSync(join(t.dir, 'pid'), 'utf8'));
    assert.ok(processEnded(pid), 'the hanging sendmail was killed');
  } finally { t.remove(); }
});
