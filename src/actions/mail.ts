/**
 * fail2ban's stock mail actions done in-process (`sendmail`, `sendmail-whois`,
 * `sendmail-whois-lines`, `-matches`, `-ipmatches`, `-ipjailmatches`, `mail`, `mail-whois`,
 * `mail-whois-lines`, and so `action_mw` / `action_mwl`): one mail per ban, worded as fail2ban's
 * files word it (src/actions/mail-text.ts), sent with nodemailer over SMTP or the local sendmail
 * binary (src/actions/mail-transport.ts), the whois answer fetched natively (src/actions/whois.ts).
 * The action's `dest`, `sender`, `sendername`, `name` and `grepmax` are honoured; the -lines
 * variants carry the ban's matched log lines (the lines fail2ban's `grep` over `logpath` would find
 * for the address, without running grep). Nothing is ever run through a shell, and nothing from
 * a log line or a whois answer reaches a header: they are body text. Unbans send nothing (the
 * stock actions' actionunban is empty); the started/stopped mails of actionstart/actionstop are
 * not sent. The Message-ID is derived from the ban, so a mail repeated after a crash (the outbox
 * delivers at least once) is recognisable as the same.
 */
import { createHash } from 'node:crypto';
import type { Transporter } from 'nodemailer';
import { ConfigError } from '../core/errors.js';
import { MAIL_DEFAULTS } from '../core/defaults.js';
import type { Timers } from '../core/clock.js';
import type { Delivery } from '../outbox/worker.js';
import type { ClassifiedAction } from './classify.js';
import type { ActionExecutor, ActionOp } from './executor.js';
import { banMail, mailVariant, type MailVariant } from './mail-text.js';
import {
  boundSendmail, mailFailure, mailTransportConfig, nodemailerOptions, type CreateTransport, type MailTransportConfig, type SendmailSpawn,
} from './mail-transport.js';
import { actionOption, boolOption, durationOption } from './options.js';
import type { BanValues } from './tags.js';
import { whois, type WhoisConnect, type WhoisOptions } from './whois.js';

/** Side effects of the mail reporter. */
export interface MailDeps {
  readonly timers: Timers;
  /** nodemailer's createTransport. */
  readonly createTransport: CreateTransport;
  /** TCP to whois servers (resolving their names). */
  readonly connect: WhoisConnect;
  /** fail2ban's `<fq-hostname>`. */
  readonly hostname: () => string;
  /** Deliveries at once (SMTP connections kept). */
  readonly concurrency?: number;
  /** Starts the sendmail binary (default child_process.spawn). */
  readonly spawnSendmail?: SendmailSpawn;
}

/**
 * An option's value (`fallback` when unset or empty). Without action files the reference's
 * arguments are used as written, so fail2ban's `<fq-hostname>`/`<sh-hostname>` (jail.conf's
 * `sender = root@<fq-hostname>`) are replaced here.
 */
function option(a: ClassifiedAction, key: string, fallback: string, host: string): string {
  const v = actionOption(a, key)?.value.trim();
  if (v === undefined || v === '') return fallback;
  return v.replace(/<fq-hostname>/g, host).replace(/<sh-hostname>/g, host.split('.')[0]!);
}

/** One mail action of one jail. */
export class MailReporter implements ActionExecutor {
  readonly jail: string;
  readonly name: string;
  readonly norestored: boolean;
  readonly unbans = false;
  private readonly variant: MailVariant;
  private readonly subjectName: string;
  private readonly dest: string[];
  private readonly sender: string;
  private readonly senderName: string;
  private readonly grepMax: number;
  private readonly whois: WhoisOptions;
  private readonly transportConfig: MailTransportConfig;
  private transport: Transporter | null = null;

  constructor(a: ClassifiedAction, private readonly deps: MailDeps) {
    this.jail = a.jail;
    this.name = a.name;
    const file = a.ref.file.replace(/^.*\//, '').replace(/\.(conf|local)$/, '');
    const variant = mailVariant(file);
    if (!variant) throw new ConfigError(a.ref.pos, `${file} is not a mail action f2b-fw sends itself`);
    this.variant = variant;
    const host = deps.hostname();
    this.subjectName = option(a, 'name', a.jail, host);
    const dest = option(a, 'dest', MAIL_DEFAULTS.dest, host);
    const sender = option(a, 'sender', MAIL_DEFAULTS.sender, host);
    for (const [key, v] of [['dest', dest], ['sender', sender]] as const) {
      if (/[\r\n<>"]/.test(v)) throw new ConfigError({ ...(actionOption(a, key)?.pos ?? a.ref.pos), key, value: v }, `${key} must be mail addresses`);
    }
    // fail2ban's lists are separated by commas or spaces; a bare sender (`fail2ban`) is qualified
    // with the host name, as sendmail would, so an SMTP relay takes it.
    this.dest = dest.split(/[\s,]+/).filter((d) => d !== '');
    this.sender = sender.includes('@') ? sender : `${sender}@${host}`;
    this.senderName = option(a, 'sendername', MAIL_DEFAULTS.senderName, host);
    const grepMax = Number(option(a, 'grepmax', String(MAIL_DEFAULTS.grepMax), host));
    if (!Number.isInteger(grepMax) || grepMax < 1) throw new ConfigError({ ...(actionOption(a, 'grepmax')?.pos ?? a.ref.pos), key: 'grepmax' }, 'grepmax must be a positive whole number');
    this.grepMax = grepMax;
    this.whois = {
      server: option(a, 'whoisserver', MAIL_DEFAULTS.whoisServer, host),
      refer: boolOption(a, 'whoisrefer', true),
      timeoutMs: durationOption(a, 'whoistimeout', MAIL_DEFAULTS.whoisTimeoutSec),
      maxBytes: MAIL_DEFAULTS.whoisMaxBytes,
    };
    this.transportConfig = mailTransportConfig(a);
    this.norestored = boolOption(a, 'norestored', true);
  }

  async start(): Promise<void> { /* the transport opens on the first mail */ }

  async stop(): Promise<void> {
    this.transport?.close();
    this.transport = null;
  }

  private openTransport(): Transporter {
    const c = this.transportConfig;
    const t = this.deps.createTransport(nodemailerOptions(c, this.deps.concurrency ?? 4));
    if (c.kind === 'sendmail') boundSendmail(t, this.deps.spawnSendmail, this.deps.timers, c.timeoutMs);
    return t;
  }

  async run(op: ActionOp, v: BanValues): Promise<Delivery> {
    if (op !== 'ban') return { kind: 'done' };
    const host = this.deps.hostname();
    const answer = this.variant === 'plain' ? undefined : await whois(v.ip, this.deps, this.whois);
    const mail = banMail(v, { variant: this.variant, name: this.subjectName, host, grepMax: this.grepMax, ...(answer ? { whois: answer } : {}) });
    const id = createHash('sha256').update(`${this.jail} ${this.name} ${v.ip} ${v.time}`).digest('hex').slice(0, 32);
    this.transport ??= this.openTransport();
    const sending = this.transport.sendMail({
      from: { name: this.senderName, address: this.sender }, to: this.dest,
      subject: mail.subject, text: mail.body, messageId: `<${id}.f2b-fw@${host}>`,
      headers: { 'X-F2b-Fw-Jail': this.jail },
    });
    let timer: unknown;
    const timeout = new Promise<never>((_, reject) => {
      timer = this.deps.timers.setTimeout(() => reject(Object.assign(new Error(`no answer within ${this.transportConfig.timeoutMs / 1000} s`), { code: 'ETIMEDOUT' })), this.transportConfig.timeoutMs + 1000);
    });
    try {
      await Promise.race([sending, timeout]);
      return { kind: 'done' };
    } catch (e) {
      sending.catch(() => undefined);
      return mailFailure(e);
    } finally {
      this.deps.timers.clearTimeout(timer);
    }
  }
}
