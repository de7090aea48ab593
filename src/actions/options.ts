/**
 * Reading an action's options (reporters, command timeouts): from its action files' combined options (static tags replaced),
 * or from the reference's arguments for a built-in name without files (`webhook[url=…]`).
 */
import { ConfigError, type ConfigPosition } from '../core/errors.js';
import { parseDuration } from '../config/duration.js';
import { parseBoolean } from '../config/bool.js';
import type { ClassifiedAction } from './classify.js';
import { staticCommand } from './tags.js';
import { OUTBOX_DEFAULTS } from '../outbox/worker.js';
import type { BackoffBounds } from '../sources/backoff.js';

/** One option's value and where it was set; undefined when not set. */
export function actionOption(a: ClassifiedAction, key: string): { value: string; pos: ConfigPosition } | undefined {
  if (a.def) {
    const opt = a.def.options.get(key);
    return opt ? { value: staticCommand(a.def, key, 'inet4'), pos: { ...opt.pos, key } } : undefined;
  }
  const v = a.ref.args.get(key);
  return v === undefined ? undefined : { value: v, pos: { ...a.ref.pos, key } };
}

/** A required option, refused when empty. */
export function requiredOption(a: ClassifiedAction, key: string): string {
  const o = actionOption(a, key);
  if (!o || o.value.trim() === '') throw new ConfigError(o?.pos ?? { ...a.ref.pos, key }, `action ${a.name} needs ${key}`);
  return o.value.trim();
}

/** An http(s) URL option. */
export function urlOption(a: ClassifiedAction, key: string, fallback?: string): URL {
  const o = actionOption(a, key);
  const text = o?.value.trim() || fallback;
  if (!text) throw new ConfigError({ ...a.ref.pos, key }, `action ${a.name} needs ${key}`);
  let url: URL;
  try { url = new URL(text); } catch { throw new ConfigError(o?.pos ?? { ...a.ref.pos, key }, `${key} is not a URL`); }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new ConfigError(o?.pos ?? { ...a.ref.pos, key }, `${key} must be http(s)`);
  return url;
}

/** A request timeout in ms (option `timeout`, seconds/duration; default `fallbackSec`). */
export function timeoutOption(a: ClassifiedAction, fallbackSec: number): number {
  return durationOption(a, 'timeout', fallbackSec);
}

/** A positive duration option in ms (seconds or `10m`-style text; default `fallbackSec` when unset or empty). */
export function durationOption(a: ClassifiedAction, key: string, fallbackSec: number): number {
  return durationMs(a, key) ?? fallbackSec * 1000;
}

/** A positive duration option in ms; undefined when not set. */
function durationMs(a: ClassifiedAction, key: string): number | undefined {
  const o = actionOption(a, key);
  if (!o || o.value.trim() === '') return undefined;
  const d = parseDuration(o.value, { ...o.pos, value: o.value });
  if (d === null || d <= 0) throw new ConfigError({ ...o.pos, value: o.value }, `${key} must be a positive duration`);
  return d * 1000;
}

/**
 * Retry timing of a failed delivery (options `retrydelay`, the first wait, doubled per failure up to
 * `retrymax`); undefined when neither is set (the outbox's defaults, OUTBOX_DEFAULTS.backoff).
 */
export function backoffOption(a: ClassifiedAction): BackoffBounds | undefined {
  const min = durationMs(a, 'retrydelay');
  const max = durationMs(a, 'retrymax');
  if (min === undefined && max === undefined) return undefined;
  const bounds = { minMs: min ?? Math.min(OUTBOX_DEFAULTS.backoff.minMs, max!), maxMs: max ?? Math.max(OUTBOX_DEFAULTS.backoff.maxMs, min!) };
  if (bounds.minMs > bounds.maxMs) {
    const o = actionOption(a, 'retrydelay')!;
    throw new ConfigError({ ...o.pos, value: o.value }, 'retrydelay must not be longer than retrymax');
  }
  return bounds;
}

/** A boolean option (yes/no, true/false, on/off, 1/0); `fallback` when unset or empty. */
export function boolOption(a: ClassifiedAction, key: string, fallback: boolean): boolean {
  const o = actionOption(a, key);
  return o && o.value.trim() !== '' ? parseBoolean(o.value, o.pos) : fallback;
}
