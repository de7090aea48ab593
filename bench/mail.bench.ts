/**
 * The mail reporter through the whole in-process path: 100 bans submitted to the ban manager
 * (null driver), queued in the outbox with their bans, each mailed by `sendmail-whois-lines`
 * (whois over TCP from a local whois server, SMTP with nodemailer's pool to a local smtp-server)
 * until the SMTP server has all 100. Mails per second, and the load average next to it.
 */
import { createServer } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { connect } from 'node:net';
import { pino } from 'pino';
import { SMTPServer } from 'smtp-server';
import { BanStore } from '../src/bans/store.js';
import { BanManager } from '../src/bans/manager.js';
import { KernelQueue } from '../src/bans/kernel-queue.js';
import { NullDriver } from '../src/fw/null.js';
import { systemClock, systemTimers } from '../src/core/clock.js';
import { Outbox } from '../src/outbox/outbox.js';
import { ActionHub } from '../src/actions/hub.js';
import { createExecutor, defaultMailDeps } from '../src/actions/factory.js';
import type { ClassifiedAction } from '../src/actions/classify.js';
import type { BenchModule } from './types.js';

const log = pino({ level: 'silent' });
const BANS = 100;

/** A local SMTP server counting mails; a whois server answering ~2 KB. */
async function peers() {
  let got = 0;
  const smtp = new SMTPServer({
    authOptional: true, disabledCommands: ['STARTTLS'], logger: false, disableReverseLookup: true,
    onData(stream, _s, cb) { stream.resume(); stream.on('end', () => { got++; cb(); }); },
  });
  smtp.listen(0, '127.0.0.1');
  await once(smtp.server, 'listening');
  const answer = `% bench whois\n${'remarks: lorem ipsum dolor sit amet\n'.repeat(56)}`;
  const whois = createServer((s) => { s.on('error', () => undefined); s.once('data', () => s.end(answer)); });
  whois.listen(0, '127.0.0.1');
  await once(whois, 'listening');
  return {
    got: () => got,
    smtpPort: (smtp.server.address() as { port: number }).port,
    whoisPort: (whois.address() as { port: number }).port,
    close: async () => { await new Promise((r) => smtp.close(() => r(undefined))); whois.close(); },
  };
}

export const bench: BenchModule = {
  name: 'mail',
  async run() {
    const dir = mkdtempSync(join(tmpdir(), 'f2b-bench-mail-'));
    const p = await peers();
    const store = BanStore.open(join(dir, 'f2b.sqlite3'));
    try {
      const action: ClassifiedAction = {
        jail: 'bench', name: 'sendmail-whois-lines', kind: 'reporter', reporter: 'mail', reason: 'bench',
        ref: {
          name: 'sendmail-whois-lines', file: 'sendmail-whois-lines', text: 'sendmail-whois-lines[…]', pos: { file: 'bench' },
          args: new Map([['name', 'bench'], ['mailtransport', 'smtp'], ['smtphost', '127.0.0.1'], ['smtpport', String(p.smtpPort)], ['smtptls', 'no'],
            ['whoisserver', '127.0.0.1'], ['dest', 'ops@example.org'], ['sender', 'f2b@example.org']]),
        },
      };
      // The whois port is 43 in life; here the passed-in connection goes to the bench's server.
      const mail = { ...defaultMailDeps(), connect: (host: string) => connect({ host, port: p.whoisPort }) };
      const hub = new ActionHub({
        outbox: new Outbox(store.database), clock: systemClock, timers: systemTimers, log,
        executor: (a) => createExecutor(a, { clock: systemClock, timers: systemTimers, log, mail }),
      });
      hub.configure(new Map([['bench', [action]]]));
      const manager = new BanManager({
        store, clock: systemClock, log, driver: new NullDriver(systemClock), kernel: new KernelQueue(), onKernelError: () => undefined, events: hub,
      });
      await hub.start();
      const load = loadavg()[0]!;
      const t0 = performance.now();
      await Promise.all(Array.from({ length: BANS }, (_, i) => manager.submit({
        op: 'ban', jail: 'bench', addr: `192.0.2.${i + 1}`, ttl: 600, reason: 'bench',
        matches: [`sshd[1]: Failed password for root from 192.0.2.${i + 1} port 22 ssh2`],
      })));
      while (p.got() < BANS) await new Promise((r) => setTimeout(r, 5));
      const s = (performance.now() - t0) / 1000;
      await hub.stop();
      return {
        title: 'Mail reports (sendmail-whois-lines, in-process)',
        command: 'npm run bench -- mail',
        figures: [
          { name: `${BANS} bans → ${BANS} mails received by the SMTP server`, value: s, unit: 's' },
          { name: 'mails delivered per second (whois + SMTP each, 4 at once)', value: BANS / s, unit: 'mails/s' },
          { name: 'load average (1 min) when the run started', value: load, unit: '' },
        ],
        notes: [
          'BanManager with the null driver, SQLite store in a temp dir, the hub and outbox as in the daemon; each mail asks a local whois server (about 2 KB answer) over TCP and is sent with nodemailer\'s SMTP pool (4 connections) to a local smtp-server, no TLS.',
          'Each delivery is one whois round trip, one SMTP transaction and one SQLite commit for the outbox entry.',
        ],
      };
    } finally {
      store.close();
      await p.close();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
