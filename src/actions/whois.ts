/**
 * A small whois client (RFC 3912) for the mail reporter, instead of fail2ban's `whois <ip>` in a
 * shell: one TCP connection to port 43 of the configured server (default whois.iana.org), the
 * address and CRLF sent, the answer read until the server closes. IANA's answer names the
 * registry that knows the address in a `refer:` line; that referral is followed once (no chains).
 * Every answer is capped (whoismaxbytes, default 64 KiB) and every question bounded in time
 * (whoistimeout, default 10 s); what arrived is kept and the cut or the silence is marked in the
 * text. The answer is hostile data: it is decoded to text with control characters removed and is
 * only ever put into a mail body — never given to a shell or to `mail` (CVE-2021-32749).
 * The connection (which also resolves the server's name) and the timers are passed in.
 */
import type { Duplex } from 'node:stream';
import type { Timers } from '../core/clock.js';

/** Opens a TCP connection to `host`:`port` (net.connect in the daemon: DNS and socket). */
export type WhoisConnect = (host: string, port: number) => Duplex;

/** Side effects of the client. */
export interface WhoisDeps {
  readonly connect: WhoisConnect;
  readonly timers: Timers;
}

/** How to ask. */
export interface WhoisOptions {
  /** First server asked. */
  readonly server: string;
  /** Follow the first answer's `refer:` line (once). */
  readonly refer: boolean;
  /** Per server, for connecting and the whole answer (ms). */
  readonly timeoutMs: number;
  /** Bytes of one answer kept. */
  readonly maxBytes: number;
}

/** The answer as mail text: the last server's words and what went wrong, if anything. */
export interface WhoisAnswer {
  /** The server whose answer `text` is. */
  readonly server: string;
  /** Decoded, control characters removed; may be empty. */
  readonly text: string;
  /** Marks for the reader: the answer was cut, timed out or failed (empty: complete). */
  readonly notes: readonly string[];
}

/** The well-known whois port. */
export const WHOIS_PORT = 43;

const HOSTNAME = /^(?=.{1,253}$)([A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;

/** One raw answer: the bytes kept, whether it was cut, and why it ended early (if it did). */
interface Raw {
  readonly bytes: Buffer;
  readonly cut: boolean;
  readonly error?: string;
}

/** Asks `server` about `query`; never rejects. */
function ask(query: string, server: string, deps: WhoisDeps, o: WhoisOptions): Promise<Raw> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    let socket: Duplex;
    const finish = (r: { cut?: boolean; error?: string }): void => {
      if (settled) return;
      settled = true;
      deps.timers.clearTimeout(timer);
      socket?.destroy();
      const bytes = Buffer.concat(chunks).subarray(0, o.maxBytes);
      resolve({ bytes, cut: r.cut ?? false, ...(r.error === undefined ? {} : { error: r.error }) });
    };
    const timer = deps.timers.setTimeout(() => finish({ error: `no complete answer from ${server} within ${o.timeoutMs / 1000} s` }), o.timeoutMs);
    try {
      socket = deps.connect(server, WHOIS_PORT);
    } catch (e) {
      finish({ error: `cannot connect to ${server}: ${(e as Error).message}` });
      return;
    }
    socket.on('data', (d: Buffer) => {
      chunks.push(d);
      size += d.length;
      if (size >= o.maxBytes) finish({ cut: true });
    });
    socket.on('end', () => finish({}));
    socket.on('close', () => finish({}));
    socket.on('error', (e: NodeJS.ErrnoException) => finish({ error: `${server}: ${e.code ?? e.message}` }));
    socket.write(`${query.replace(/[\r\n]/g, '')}\r\n`);
  });
}

/** Whois bytes as text: UTF-8 when valid, else Latin-1; control characters (but tab and newline) removed. */
export function whoisText(bytes: Buffer): string {
  const utf8 = bytes.toString('utf8');
  // A cut may split a UTF-8 sequence at the very end: that alone does not make the answer Latin-1.
  const text = /\uFFFD/.test(utf8.slice(0, -1)) ? bytes.toString('latin1') : utf8.replace(/\uFFFD$/, '');
  return text.replace(/\r\n?/g, '\n').replace(/[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/g, '');
}

/** The `refer:` server named in an answer, when it is a plain host name. */
export function referral(text: string): string | undefined {
  const m = /^refer:[ \t]*(\S+)[ \t]*$/im.exec(text);
  return m && HOSTNAME.test(m[1]!) ? m[1]!.replace(/\.$/, '') : undefined;
}

function notesOf(raw: Raw, server: string, maxBytes: number): string[] {
  const notes: string[] = [];
  if (raw.cut) notes.push(`answer of ${server} cut at ${maxBytes} bytes`);
  if (raw.error) notes.push(raw.error);
  return notes;
}

/** Asks the configured server about `ip`, then (once) the server it refers to. Never rejects. */
export async function whois(ip: string, deps: WhoisDeps, o: WhoisOptions): Promise<WhoisAnswer> {
  const first = await ask(ip, o.server, deps, o);
  const firstText = whoisText(first.bytes);
  const next = o.refer && !first.error ? referral(firstText) : undefined;
  if (!next || next.toLowerCase() === o.server.toLowerCase()) {
    return { server: o.server, text: firstText, notes: notesOf(first, o.server, o.maxBytes) };
  }
  const second = await ask(ip, next, deps, o);
  const secondText = whoisText(second.bytes);
  if (secondText.trim() === '' && second.error) {
    return { server: o.server, text: firstText, notes: [...notesOf(first, o.server, o.maxBytes), ...notesOf(second, next, o.maxBytes)] };
  }
  return { server: next, text: secondText, notes: notesOf(second, next, o.maxBytes) };
}
