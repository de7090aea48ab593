/**
 * HTTP outcomes for the in-process reporters: an answer is mapped onto what the outbox does next.
 * 2xx done; 408, 425, 429 and 5xx retried (at the peer's Retry-After when it sends one); other
 * 4xx dropped (a request the peer will never take); network errors and timeouts retried. Bodies
 * are read up to a bound: the peer is not trusted to be small.
 */
import type { Delivery } from '../../outbox/worker.js';

/** fetch, passed in (tests and the daemon use Node's). */
export type Fetch = typeof fetch;

/** Requests at once per HTTP reporter action: a request mostly waits on the peer, not on this host. */
export const HTTP_CONCURRENCY = 16;

/** Longest response body read (bytes). */
export const BODY_BYTES = 65_536;

/** Reads at most BODY_BYTES of a response body as text (never throws). */
export async function boundedText(res: Response): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < BODY_BYTES) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.length;
    }
  } catch { /* a body cut short is as good as what arrived */ } finally {
    reader.cancel().catch(() => undefined);
  }
  return Buffer.concat(chunks).subarray(0, BODY_BYTES).toString('utf8');
}

/** Retry-After (seconds or an HTTP date) as an absolute time, or undefined. */
export function retryAfter(res: Response, now: number): number | undefined {
  const h = res.headers.get('retry-after')?.trim();
  if (!h) return undefined;
  if (/^\d+$/.test(h)) return now + Number(h) * 1000;
  const t = Date.parse(h);
  return Number.isFinite(t) ? t : undefined;
}

/** The outbox's next step for an answer with status `res.status`. */
export function httpOutcome(res: Response, now: number, body: string): Delivery {
  const s = res.status;
  if (s >= 200 && s < 300) return { kind: 'done' };
  const detail = `HTTP ${s}${body ? `: ${body.slice(0, 200).replace(/\s+/g, ' ')}` : ''}`;
  if (s === 408 || s === 425 || s === 429 || s >= 500) {
    const at = retryAfter(res, now);
    return { kind: 'retry', error: detail, ...(at === undefined ? {} : { at }) };
  }
  return { kind: 'drop', reason: detail };
}

/** A request that failed before an answer (refused, reset, DNS, timeout). */
export function networkFailure(e: unknown): Delivery {
  const err = e as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  const why = err?.name === 'TimeoutError' ? 'timed out' : err?.cause?.code ?? err?.cause?.message ?? err?.message ?? String(e);
  return { kind: 'retry', error: `request failed: ${why}` };
}
