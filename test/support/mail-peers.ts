/**
 * The real peers of the mail tests, as one process run inside a test namespace:
 * - an SMTP server (the `smtp-server` package) on `--smtp` (plain, no STARTTLS) and, with
 *   `--cert/--key`, another on `--submission` offering STARTTLS and requiring AUTH `f2b`/`s3cret`
 *   after it; RCPT `refuse@example.org` is refused with 550;
 * - a whois server on port 43 (all local addresses). On 127.0.0.2 it is "the registry"; elsewhere
 *   the answer depends on the address asked about: 192.0.2.1 a normal record, 192.0.2.2 hostile
 *   text (`~!` lines, `$(…)`, backticks, a lone `.`, header lines, control characters; the commands
 *   would touch `--canary`), 192.0.2.3 10 MB, 192.0.2.4 no answer at all (the connection held
 *   open), 198.51.100.7 a `refer: registry.test` line.
 * Prints `listening` once all listen, then one JSON line per received mail
 * (`{ port, from, to, secure, user, data }`).
 * Usage: node mail-peers.js --smtp 25 [--submission 587 --cert F --key F] --canary PATH
 */
import { createServer, type Socket } from 'node:net';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';

const { values } = parseArgs({ options: {
  smtp: { type: 'string' }, submission: { type: 'string' }, cert: { type: 'string' }, key: { type: 'string' }, canary: { type: 'string' },
} });
const canary = values.canary ?? '/nonexistent/canary';

/** The hostile whois answer: everything fail2ban's `mail`/shell path would have run. */
function hostileWhois(mark: string): string {
  return [
    '% hostile registry',
    `~! touch ${mark}`,
    `~|touch ${mark}`,
    `$(touch ${mark})`,
    `\`touch ${mark}\``,
    `"; touch ${mark}; "`,
    '.',
    'Subject: forged',
    'To: victim@example.org',
    '\u001b[31mred\u001b[0m and a NUL \u0000 here',
    'netname: EVIL-NET',
    '',
  ].join('\n');
}

function whoisAnswer(local: string, query: string, sock: Socket): void {
  if (local === '127.0.0.2') { sock.end(`% registry.test\ninetnum: 198.51.100.0 - 198.51.100.255\nnetname: REGISTRY-NET for ${query}\n`); return; }
  switch (query) {
    case '192.0.2.1': sock.end('% IANA WHOIS server\ninetnum:      192.0.2.0 - 192.0.2.255\norganisation: TEST-NET-1\nstatus:       RESERVED\n'); return;
    case '192.0.2.2': sock.end(hostileWhois(canary)); return;
    case '192.0.2.3': {
      const line = `${'A'.repeat(1023)}\n`;
      let left = 10 * 1024;
      const pump = (): void => {
        while (left > 0) {
          left--;
          if (!sock.write(line)) { sock.once('drain', pump); return; }
        }
        sock.end();
      };
      pump();
      return;
    }
    case '192.0.2.4': return; // never answers; the client gives up
    case '198.51.100.7': sock.end('% IANA WHOIS server\nrefer:        registry.test\n\ninetnum:      198.51.0.0 - 198.51.255.255\n'); return;
    default: sock.end('% no match\n');
  }
}

const whois = createServer((sock) => {
  sock.on('error', () => undefined);
  let buf = '';
  sock.on('data', (d: Buffer) => {
    buf += d.toString('latin1');
    const nl = buf.indexOf('\r\n');
    if (nl >= 0 && buf !== '#') {
      const query = buf.slice(0, nl);
      buf = '#';
      whoisAnswer(sock.localAddress?.replace(/^::ffff:/, '') ?? '', query, sock);
    }
  });
});

function smtp(port: number, extra: Partial<SMTPServerOptions>): Promise<void> {
  const server = new SMTPServer({
    authOptional: true, disabledCommands: ['STARTTLS'], logger: false, disableReverseLookup: true, banner: 'f2b-fw test peer',
    onRcptTo(address, _session, cb) {
      if (address.address === 'refuse@example.org') { cb(Object.assign(new Error('no such user'), { responseCode: 550 })); return; }
      cb();
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        process.stdout.write(`${JSON.stringify({
          port, from: session.envelope.mailFrom && session.envelope.mailFrom.address, to: session.envelope.rcptTo.map((r) => r.address),
          secure: session.secure, user: session.user ?? null, data: Buffer.concat(chunks).toString('utf8'),
        })}\n`);
        cb();
      });
    },
    ...extra,
  });
  server.on('error', (e) => process.stderr.write(`smtp ${port}: ${e.message}\n`));
  return new Promise((res) => server.listen(port, '0.0.0.0', () => res()));
}

const ready: Promise<void>[] = [new Promise((res) => whois.listen(43, '0.0.0.0', () => res()))];
ready.push(smtp(Number(values.smtp ?? 25), {}));
if (values.submission && values.cert && values.key) {
  ready.push(smtp(Number(values.submission), {
    authOptional: false, disabledCommands: [], key: readFileSync(values.key), cert: readFileSync(values.cert),
    onAuth(auth, _session, cb) {
      if (auth.username === 'f2b' && auth.password === 's3cret') cb(null, { user: auth.username });
      else cb(new Error('bad credentials'));
    },
  }));
}
await Promise.all(ready);
process.stdout.write('listening\n');
