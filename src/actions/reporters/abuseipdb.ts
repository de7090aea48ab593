/**
 * The stock `abuseipdb` action done in-process: AbuseIPDB API v2 `POST /api/v2/report` (form fields
 * ip, categories, comment; header Key) with Node's fetch, instead of fail2ban's curl line.
 * - comment: the admin's `matches` option when set (the documented way to send a fixed text, or
 *   none), else the ban's log lines with e-mail addresses and user names scrubbed; at most 1,024
 *   characters either way;
 * - one report per address per 15 minutes (AbuseIPDB refuses more; a 429 saying so counts as done);
 * - the daily quota from X-RateLimit-Remaining / X-RateLimit-Reset: at 0, reports wait for the reset;
 *   a 429 for the quota is retried at Retry-After (or the reset);
 * - options: abuseipdb_apikey, abuseipdb_category, abuseipdb_url (default the public API), timeout.
 */
import type { Clock } from '../../core/clock.js';
import { ConfigError } from '../../core/errors.js';
import type { Delivery } from '../../outbox/worker.js';
import type { ClassifiedAction } from '../classify.js';
import type { ActionExecutor, ActionOp } from '../executor.js';
import { actionOption, requiredOption, timeoutOption, urlOption } from '../options.js';
import type { BanValues } from '../tags.js';
import { HTTP_CONCURRENCY, boundedText, httpOutcome, networkFailure, retryAfter, type Fetch } from './http.js';

/** AbuseIPDB's public report endpoint. */
export const ABUSEIPDB_REPORT_URL = 'https://api.abuseipdb.com/api/v2/report';
/** Longest comment AbuseIPDB takes. */
export const COMMENT_CHARS = 1024;
/** AbuseIPDB takes one report per address per this long. */
const SAME_ADDRESS_MS = 15 * 60_000;
/** Addresses remembered for the 15-minute rule at most. */
const RECENT_MAX = 100_000;

const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g;
const USER_WORDS = /\b(invalid user|illegal user|user|login|for|account|ruser|sasl_username)([=:]\s*|\s+)(?!(?:from|invalid|illegal)\b)("[^"]*"|'[^']*'|[^\s,;]+)/gi;

/** The log lines as a comment: no e-mail addresses, no user names (captured fields or after user words). */
export function scrubComment(lines: readonly string[], fields: Readonly<Record<string, string>>, ip: string): string {
  let text = lines.join('\n');
  for (const [k, v] of Object.entries(fields)) {
    if (v.length < 2 || v === ip || /^(ip4|ip6|host|dns|time|port|attempts)$/.test(k)) continue;
    text = text.split(v).join('[redacted]');
  }
  return text.replace(EMAIL, '[email]').replace(USER_WORDS, (_m, word: string, sep: string) => `${word}${sep}[user]`);
}

/** One AbuseIPDB action. */
export class AbuseIpdbReporter implements ActionExecutor {
  readonly jail: string;
  readonly name: string;
  readonly norestored: boolean;
  readonly concurrency = HTTP_CONCURRENCY;
  private readonly url: URL;
  private readonly key: string;
  private readonly categories: string;
  private readonly comment: string | undefined;
  private readonly timeoutMs: number;
  private readonly recent = new Map<string, number>();
  private quotaResetAt = 0;

  constructor(a: ClassifiedAction, private readonly deps: { readonly fetch: Fetch; readonly clock: Clock }) {
    this.jail = a.jail;
    this.name = a.name;
    this.key = requiredOption(a, 'abuseipdb_apikey');
    const cat = requiredOption(a, 'abuseipdb_category');
    if (!/^\d{1,2}(\s*,\s*\d{1,2})*$/.test(cat)) throw new ConfigError(actionOption(a, 'abuseipdb_category')!.pos, 'abuseipdb_category must be category numbers separated by commas');
    this.categories = cat.replace(/\s+/g, '');
    this.url = urlOption(a, 'abuseipdb_url', ABUSEIPDB_REPORT_URL);
    // The admin's `matches` argument replaces the log lines (fail2ban's <matches> override).
    const m = a.ref.args.get('matches');
    this.comment = m === undefined ? undefined : m;
    this.timeoutMs = timeoutOption(a, 15);
    this.norestored = true;
  }

  async start(): Promise<void> { /* nothing to set up */ }
  async stop(): Promise<void> { /* nothing to tear down */ }

  async run(op: ActionOp, v: BanValues): Promise<Delivery> {
    if (op !== 'ban') return { kind: 'done' };
    const now = this.deps.clock.now();
    const last = this.recent.get(v.ip);
    if (last !== undefined && now - last < SAME_ADDRESS_MS) return { kind: 'done' };
    if (now < this.quotaResetAt) return { kind: 'retry', at: this.quotaResetAt, error: 'daily AbuseIPDB quota used up' };
    const comment = (this.comment ?? scrubComment(v.matches, v.fields, v.ip)).slice(0, COMMENT_CHARS);
    const body = new URLSearchParams({ ip: v.ip, categories: this.categories, comment });
    let res: Response;
    let text: string;
    try {
      res = await this.deps.fetch(this.url, {
        method: 'POST', body, signal: AbortSignal.timeout(this.timeoutMs), redirect: 'error',
        headers: { Key: this.key, Accept: 'application/json', 'user-agent': 'f2b-fw' },
      });
      text = await boundedText(res);
    } catch (e) {
      return networkFailure(e);
    }
    const done = this.deps.clock.now();
    this.quota(res, done);
    if (res.status === 429 && /once in 15 minutes|same IP address/i.test(text)) {
      this.remember(v.ip, done);
      return { kind: 'done' };
    }
    const outcome = httpOutcome(res, done, text);
    if (outcome.kind === 'done') this.remember(v.ip, done);
    if (outcome.kind === 'retry' && res.status === 429 && outcome.at === undefined && this.quotaResetAt > done) {
      return { ...outcome, at: this.quotaResetAt };
    }
    return outcome;
  }

  private quota(res: Response, now: number): void {
    const remaining = res.headers.get('x-ratelimit-remaining');
    const reset = Number(res.headers.get('x-ratelimit-reset'));
    if (remaining !== null && Number(remaining) <= 0) {
      this.quotaResetAt = Number.isFinite(reset) && reset > 0 ? reset * 1000 : retryAfter(res, now) ?? now + 3_600_000;
    }
  }

  private remember(ip: string, at: number): void {
    if (this.recent.size >= RECENT_MAX) {
      for (const [k, t] of this.recent) if (at - t >= SAME_ADDRESS_MS || this.recent.size >= RECENT_MAX) this.recent.delete(k);
    }
    this.recent.set(ip, at);
  }
}
