/**
 * How the mail reporter's mails leave, per action (options in the action's files, a `.local`'s
 * [Init] or the jail's `action = sendmail-whois[…]` arguments):
 * - `mailtransport = sendmail` (default): nodemailer's sendmail transport runs `sendmailpath`
 *   (default /usr/sbin/sendmail) with `-i -f SENDER DEST…` as arguments (no shell) and the
 *   message on its stdin;
 * - `mailtransport = smtp`: nodemailer's SMTP pool to `smtphost`:`smtpport` (default localhost:25,
 *   465 with `smtptls = tls`); `smtptls = auto` (STARTTLS when offered, the default), `starttls`
 *   (required), `tls` (implicit TLS) or `no`; `smtpuser`/`smtppassword` for AUTH; `smtpcafile`:
 *   a PEM bundle trusted besides the system's CAs (a private relay's CA).
 * SMTP answers map onto the outbox: a 5xx refusal of the message is dropped, anything else
 * (4xx, connection, timeout, authentication) retried with backoff.
 */
import { readFileSync } from 'node:fs';
import { spawn as nodeSpawn, type ChildProcess } from 'node:child_process';
import type { Transporter, TransportOptions } from 'nodemailer';
import type { Timers } from '../core/clock.js';
import { ConfigError } from '../core/errors.js';
import { MAIL_DEFAULTS } from '../core/defaults.js';
import type { Delivery } from '../outbox/worker.js';
import type { ClassifiedAction } from './classify.js';
import { actionOption, timeoutOption } from './options.js';

/** nodemailer's createTransport, passed in (it opens sockets or spawns sendmail). */
export type CreateTransport = (options: TransportOptions | Record<string, unknown>) => Transporter;

const TLS_MODES = ['auto', 'starttls', 'tls', 'no'] as const;
/** smtptls: STARTTLS when offered, STARTTLS required, implicit TLS, plain. */
export type SmtpTls = typeof TLS_MODES[number];

/** The transport settings of one action. */
export type MailTransportConfig =
  | { readonly kind: 'sendmail'; readonly path: string; readonly timeoutMs: number }
  | {
    readonly kind: 'smtp'; readonly host: string; readonly port: number; readonly tls: SmtpTls;
    readonly user?: string; readonly password?: string; readonly ca?: string; readonly timeoutMs: number;
  };


function text(a: ClassifiedAction, key: string): string | undefined {
  const v = actionOption(a, key)?.value.trim();
  return v === undefined || v === '' ? undefined : v;
}

function bad(a: ClassifiedAction, key: string, problem: string): ConfigError {
  const o = actionOption(a, key);
  return new ConfigError({ ...(o?.pos ?? a.ref.pos), key, ...(o ? { value: o.value } : {}) }, problem);
}

/** Reads and checks the transport options of `a`; errors name file, line, key and value. */
export function mailTransportConfig(a: ClassifiedAction): MailTransportConfig {
  const kind = text(a, 'mailtransport') ?? MAIL_DEFAULTS.transport;
  const timeoutMs = timeoutOption(a, MAIL_DEFAULTS.timeoutSec);
  if (kind === 'sendmail') {
    const path = text(a, 'sendmailpath') ?? MAIL_DEFAULTS.sendmailPath;
    if (!path.startsWith('/')) throw bad(a, 'sendmailpath', 'sendmailpath must be an absolute path');
    return { kind, path, timeoutMs };
  }
  if (kind !== 'smtp') throw bad(a, 'mailtransport', 'mailtransport must be sendmail or smtp');
  const tls = (text(a, 'smtptls') ?? 'auto').toLowerCase() as SmtpTls;
  if (!TLS_MODES.includes(tls)) throw bad(a, 'smtptls', 'smtptls must be auto, starttls, tls or no');
  const portText = text(a, 'smtpport');
  const port = portText === undefined ? (tls === 'tls' ? 465 : MAIL_DEFAULTS.smtpPort) : Number(portText);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw bad(a, 'smtpport', 'smtpport must be a port number (1-65535)');
  const host = text(a, 'smtphost') ?? MAIL_DEFAULTS.smtpHost;
  if (/[\s/]/.test(host)) throw bad(a, 'smtphost', 'smtphost must be a host name or address');
  const user = text(a, 'smtpuser');
  const password = actionOption(a, 'smtppassword')?.value;
  if ((user === undefined) !== (password === undefined || password === '')) throw bad(a, user ? 'smtppassword' : 'smtpuser', 'smtpuser and smtppassword go together');
  const caFile = text(a, 'smtpcafile');
  let ca: string | undefined;
  if (caFile !== undefined) {
    try { ca = readFileSync(caFile, 'utf8'); } catch (e) { throw bad(a, 'smtpcafile', `cannot read ${caFile}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`); }
  }
  return { kind, host, port, tls, timeoutMs, ...(user ? { user, password: password! } : {}), ...(ca ? { ca } : {}) };
}

/** nodemailer's options for `c`; `connections`: SMTP connections kept at most (the worker's concurrency). */
export function nodemailerOptions(c: MailTransportConfig, connections: number): Record<string, unknown> {
  if (c.kind === 'sendmail') return { sendmail: true, path: c.path, newline: 'unix' };
  return {
    host: c.host, port: c.port, pool: true, maxConnections: connections,
    secure: c.tls === 'tls', requireTLS: c.tls === 'starttls', ignoreTLS: c.tls === 'no',
    connectionTimeout: c.timeoutMs, greetingTimeout: c.timeoutMs, socketTimeout: c.timeoutMs,
    ...(c.user ? { auth: { user: c.user, pass: c.password } } : {}),
    ...(c.ca ? { tls: { ca: c.ca } } : {}),
  };
}

/** Starts the sendmail binary (child_process.spawn in the daemon). */
export type SendmailSpawn = (path: string, args: readonly string[]) => ChildProcess;

/**
 * Makes nodemailer's sendmail transport start the binary through `spawn` (its documented hook
 * for that, `_spawn`) and kills a run still going after `timeoutMs`, so a hanging sendmail
 * fails that delivery (retried later) instead of staying behind.
 */
export function boundSendmail(transport: Transporter, spawn: SendmailSpawn | undefined, timers: Timers, timeoutMs: number): void {
  const start = spawn ?? ((path, args) => nodeSpawn(path, args, { stdio: 'pipe' }));
  (transport.transporter as unknown as { _spawn: SendmailSpawn })._spawn = (path, args) => {
    const child = start(path, args);
    const timer = timers.setTimeout(() => {
      child.kill('SIGKILL');
      // nodemailer takes an exit by signal for success: the error it listens for comes first.
      child.emit('error', Object.assign(new Error(`sendmail still running after ${timeoutMs / 1000} s: killed`), { code: 'ETIMEDOUT' }));
    }, timeoutMs);
    child.once('exit', () => timers.clearTimeout(timer));
    child.once('error', () => timers.clearTimeout(timer));
    return child;
  };
}

/** The outbox's next step after nodemailer rejected a message with `e`. */
export function mailFailure(e: unknown): Delivery {
  const err = e as { code?: string; responseCode?: number; response?: string; message?: string };
  const detail = [err.code, err.responseCode, (err.response ?? err.message ?? String(e)).slice(0, 200).replace(/\s+/g, ' ')]
    .filter((x) => x !== undefined && x !== '').join(' ');
  if (err.responseCode !== undefined && err.responseCode >= 500 && err.responseCode < 600 && err.code !== 'EAUTH') {
    return { kind: 'drop', reason: `refused by the mail server: ${detail}` };
  }
  return { kind: 'retry', error: `mail not sent: ${detail}` };
}
