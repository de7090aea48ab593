/**
 * The `webhook` action (ours): each ban and unban POSTed as JSON to `url`, for chat ops and SIEMs.
 * With `secret`, the body is signed: header `X-F2b-Fw-Signature: sha256=HEX` (HMAC-SHA256 of the
 * exact body bytes with the secret), and `X-F2b-Fw-Event-Id` carries the queue key so a receiver
 * can drop a repeat after a crash. Options: url, secret, timeout (default 10 s), matches = no
 * (leave the log lines out), unban = no (bans only).
 */
import { createHmac } from 'node:crypto';
import type { Clock } from '../../core/clock.js';
import type { Delivery } from '../../outbox/worker.js';
import type { ClassifiedAction } from '../classify.js';
import type { ActionExecutor, ActionOp } from '../executor.js';
import { actionOption, boolOption, timeoutOption, urlOption } from '../options.js';
import type { BanValues } from '../tags.js';
import { HTTP_CONCURRENCY, boundedText, httpOutcome, networkFailure, type Fetch } from './http.js';

/** The signature header's name. */
export const SIGNATURE_HEADER = 'x-f2b-fw-signature';

/** `sha256=HEX` of `body` under `secret`. */
export function signBody(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** One webhook action. */
export class WebhookReporter implements ActionExecutor {
  readonly jail: string;
  readonly name: string;
  readonly norestored: boolean;
  readonly concurrency = HTTP_CONCURRENCY;
  private readonly url: URL;
  private readonly secret: string | undefined;
  private readonly timeoutMs: number;
  private readonly withMatches: boolean;
  readonly unbans: boolean;

  constructor(a: ClassifiedAction, private readonly deps: { readonly fetch: Fetch; readonly clock: Clock }) {
    this.jail = a.jail;
    this.name = a.name;
    this.url = urlOption(a, 'url');
    this.secret = actionOption(a, 'secret')?.value || undefined;
    this.timeoutMs = timeoutOption(a, 10);
    this.withMatches = boolOption(a, 'matches', true);
    this.unbans = boolOption(a, 'unban', true);
    this.norestored = boolOption(a, 'norestored', true);
  }

  async start(): Promise<void> { /* nothing to set up */ }
  async stop(): Promise<void> { /* nothing to tear down */ }

  async run(op: ActionOp, v: BanValues): Promise<Delivery> {
    if (op === 'unban' && !this.unbans) return { kind: 'done' };
    const body = JSON.stringify({
      event: op, jail: this.jail, ip: v.ip, family: v.family, time: v.time, bantime: v.bantime, bancount: v.bancount,
      failures: v.failures, ...(this.withMatches ? { matches: v.matches, fields: v.fields } : {}),
    });
    const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'f2b-fw' };
    if (this.secret) headers[SIGNATURE_HEADER] = signBody(this.secret, body);
    headers['x-f2b-fw-event-id'] = `${op} ${this.jail} ${v.ip} ${v.time}`;
    try {
      const res = await this.deps.fetch(this.url, { method: 'POST', body, headers, signal: AbortSignal.timeout(this.timeoutMs), redirect: 'error' });
      return httpOutcome(res, this.deps.clock.now(), await boundedText(res));
    } catch (e) {
      return networkFailure(e);
    }
  }
}
