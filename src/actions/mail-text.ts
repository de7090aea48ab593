/**
 * The ban mail of fail2ban's stock mail actions, worded as Debian's action.d files word it
 * (sendmail.conf, sendmail-whois*.conf, mail*.conf of fail2ban 1.0): subject
 * `[Fail2Ban] NAME: banned IP from HOST`, a greeting, the failure count, then per variant the
 * whois answer, the log lines, the matches. Only plain text is built here; every value (whois
 * answer, log lines, user names) is data in the body, never a command or a header.
 */
import type { WhoisAnswer } from './whois.js';
import type { BanValues } from './tags.js';

/** What the body carries beyond the greeting, by stock action file. */
export type MailVariant = 'plain' | 'whois' | 'lines' | 'matches' | 'ipmatches' | 'ipjailmatches';

/** The stock action files done natively, and the variant of each. */
export const MAIL_VARIANTS: Readonly<Record<string, MailVariant>> = {
  'sendmail': 'plain',
  'sendmail-whois': 'whois',
  'sendmail-whois-lines': 'lines',
  'sendmail-whois-matches': 'matches',
  'sendmail-whois-ipmatches': 'ipmatches',
  'sendmail-whois-ipjailmatches': 'ipjailmatches',
  'mail': 'plain',
  'mail-whois': 'whois',
  'mail-whois-lines': 'lines',
};

/** The variant of stock action file `file` (`sendmail-whois-lines`), or undefined: not sent natively. */
export function mailVariant(file: string): MailVariant | undefined {
  return Object.prototype.hasOwnProperty.call(MAIL_VARIANTS, file) ? MAIL_VARIANTS[file] : undefined;
}

/** What one mail says besides the ban's values. */
export interface MailContext {
  readonly variant: MailVariant;
  /** fail2ban's `<name>` (the jail's name unless the action sets it). */
  readonly name: string;
  /** fail2ban's `<fq-hostname>`. */
  readonly host: string;
  /** Most log lines in a -lines mail (grepmax). */
  readonly grepMax: number;
  /** The whois answer (variants other than plain). */
  readonly whois?: WhoisAnswer;
}

/** A mail's subject and body. */
export interface MailText {
  readonly subject: string;
  readonly body: string;
}

/** One line of a header value: no line breaks, no control characters. */
function headerSafe(s: string): string {
  return s.replace(/[\u0000-\u001F\u007F]+/g, ' ');
}

/** The whois section as `whois <ip>` would have printed it, with the client's notes after it. */
function whoisSection(w: WhoisAnswer | undefined): string {
  if (!w) return '';
  const notes = w.notes.map((n) => `[f2b-fw whois: ${n}]`);
  return [w.text.replace(/\n+$/, ''), ...notes].filter((s) => s !== '').join('\n');
}

/** Log lines as one block (each line on its own; a line's own breaks cannot fake another line). */
function block(lines: readonly string[]): string {
  return lines.map((l) => l.replace(/[\r\n]+/g, ' ')).join('\n');
}

/** Subject and body of the ban mail for `v`. */
export function banMail(v: BanValues, c: MailContext): MailText {
  const subject = headerSafe(`[Fail2Ban] ${c.name}: banned ${v.ip} from ${c.host}`);
  const hello = `Hi,\n\nThe IP ${v.ip} has just been banned by Fail2Ban after\n${v.failures} attempts against ${c.name}.\n`;
  const bye = 'Regards,\n\nFail2Ban';
  if (c.variant === 'plain') return { subject, body: `${hello}\n${bye}` };
  const info = `${hello}\n\nHere is more information about ${v.ip} :\n\n${whoisSection(c.whois)}`;
  switch (c.variant) {
    case 'whois':
      return { subject, body: `${info}\n\n${bye}` };
    case 'lines': {
      const lines = v.matches.slice(-c.grepMax);
      return { subject, body: `${info}\n\nLines containing failures of ${v.ip} (max ${c.grepMax})\n${block(lines)}\n\n\n${bye}` };
    }
    case 'matches':
      return { subject, body: `${info}\n\n\nMatches:\n\n${block(v.matches)}\n\n\n${bye}` };
    case 'ipmatches':
      return { subject, body: `${info}\n\n\nMatches with ${v.ipmatches.length} failures IP:${v.ip}\n\n${block(v.ipmatches)}\n\n\n${bye}` };
    case 'ipjailmatches':
      return { subject, body: `${info}\n\n\nMatches for ${c.name} with ${v.ipjailmatches.length} failures IP:${v.ip}\n\n${block(v.ipjailmatches)}\n\n\n${bye}` };
  }
}
