/**
 * `%(name)s` interpolation as fail2ban does it: a reference resolves in the
 * section being read, then `[DEFAULT]` (so a DEFAULT value that mentions
 * `%(port)s` gets each jail's own port); `%%` is a literal `%`; `__name__` is
 * the section's name; `%(section/key)s` reads another section (falling back
 * to DEFAULT), `%(default/key)s` reads DEFAULT, and `%(known/key)s` the value
 * the key had before the layer that is being read overrode it. Loops are
 * found and reported with the keys involved.
 */
import { ConfigError, type ConfigPosition } from '../core/errors.js';
import type { Layered, LayeredSection, LayeredStore } from './layers.js';

/** A value handed in from outside the files (filter arguments, jail options). */
export interface ExtraValue {
  readonly value: string;
  readonly pos: ConfigPosition;
  /** Already resolved: used as is, not interpolated again. */
  readonly resolved?: boolean;
}

/** How one section's values are resolved. */
export interface InterpolationContext {
  readonly store: LayeredStore;
  /** The section being read (`DEFAULT` for DEFAULT itself). */
  readonly section: string;
  /** Values that take precedence over the section's own (configparser's `vars`). */
  readonly vars?: ReadonlyMap<string, ExtraValue>;
  /** Leave `%(known/key)s` as written when nothing is known (a jail's reference to its filter). */
  readonly keepUnknownKnown?: boolean;
}

/** The longest chain of references followed before giving up. */
const MAX_DEPTH = 40;

type Source = Layered | ExtraValue;

function sectionOf(ctx: InterpolationContext): LayeredSection {
  return ctx.section === 'DEFAULT' ? ctx.store.defaults : ctx.store.sections.get(ctx.section) ?? new Map();
}

/** The layer of `layered` older than `order`. */
function before(layered: Layered | undefined, order: number): Layered | undefined {
  let l = layered;
  while (l && l.order >= order) l = l.prev;
  return l;
}

function lookup(ctx: InterpolationContext, name: string, from: Source): Source | string | undefined {
  if (name === '__name__') return ctx.section;
  const v = ctx.vars?.get(name);
  if (v) return v;
  const own = sectionOf(ctx);
  const direct = own.get(name);
  if (direct) return direct;
  const slash = name.indexOf('/');
  if (slash <= 0) return ctx.store.defaults.get(name);
  const sec = name.slice(0, slash).toLowerCase();
  const key = name.slice(slash + 1);
  if (sec === 'known') {
    // The earlier layer of `key` in the section the referring text was written in.
    if (!('order' in from)) return before(own.get(key), Number.MAX_SAFE_INTEGER) ?? ctx.store.defaults.get(key);
    const written = from.pos.section;
    if (written === 'DEFAULT') return before(ctx.store.defaults.get(key), from.order);
    const home = written === undefined ? own : ctx.store.sections.get(written) ?? own;
    return before(home.get(key), from.order) ?? ctx.store.defaults.get(key);
  }
  if (sec === 'default') return ctx.store.defaults.get(key);
  return ctx.store.sections.get(name.slice(0, slash))?.get(key) ?? ctx.store.defaults.get(key);
}

/** Resolves every reference in `source`'s value; `stack` holds the values being expanded. */
function expand(ctx: InterpolationContext, source: Source, stack: Source[], names: string[]): string {
  if ('resolved' in source && source.resolved) return source.value;
  if (stack.includes(source)) {
    throw new ConfigError(stack[0]!.pos, `interpolation loop: ${names.join(' -> ')}`);
  }
  if (stack.length >= MAX_DEPTH) {
    throw new ConfigError(stack[0]!.pos, `interpolation deeper than ${MAX_DEPTH} levels: ${names.join(' -> ')}`);
  }
  const text = source.value;
  let out = '';
  let i = 0;
  while (i < text.length) {
    const pct = text.indexOf('%', i);
    if (pct < 0) { out += text.slice(i); break; }
    out += text.slice(i, pct);
    const next = text[pct + 1];
    if (next === '%') { out += '%'; i = pct + 2; continue; }
    const m = next === '(' ? /^%\(([^)]+)\)s/.exec(text.slice(pct)) : null;
    if (!m) {
      throw new ConfigError(source.pos, `bad '%' at "${text.slice(pct, pct + 12)}": write %% for a literal %, or %(key)s`);
    }
    const name = m[1]!.toLowerCase();
    const found = lookup(ctx, name, source);
    if (found === undefined) {
      if (ctx.keepUnknownKnown && name.startsWith('known/')) {
        out += m[0];
      } else {
        const where = name.includes('/') ? `[${name.slice(0, name.indexOf('/'))}]` : `[${ctx.section}]`;
        throw new ConfigError(source.pos, `%(${name})s refers to a key not set in ${where} or [DEFAULT]`);
      }
    } else {
      out += typeof found === 'string' ? found : expand(ctx, found, [...stack, source], [...names, name]);
    }
    i = pct + m[0].length;
  }
  return out;
}

/** The value of `key` in the context's section (vars, section, DEFAULT), fully resolved; undefined when unset. */
export function resolveKey(ctx: InterpolationContext, key: string): { value: string; pos: ConfigPosition } | undefined {
  const found = lookup(ctx, key, { value: '', pos: { file: '' } });
  if (found === undefined || typeof found === 'string') return found === undefined ? undefined : { value: found, pos: { file: '' } };
  return { value: expand(ctx, found, [], [key]), pos: found.pos };
}
