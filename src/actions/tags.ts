/**
 * `<tag>` substitution in action commands, in fail2ban's two steps:
 * 1. static: tags naming the action's own options (trusted: written by the admin) are replaced
 *    recursively, innermost first (`<ipt_<type>/_chain_rule>`), the `key?family=inet6` variant
 *    before the plain key, `<known/key>` with the files' [Init] value, `<section/key>` from another
 *    section of the action files; tags it does not know stay;
 * 2. dynamic: the ban's values (`<ip>`, `<matches>`, `<F-USER>`, …) are replaced once, never
 *    recursively, and **never pasted into the shell text**: each becomes a reference to an
 *    environment variable `f2bV_NAME` (fail2ban's naming) written so the shell expands it as one
 *    word in any quoting context — `"${f2bV_ip}"` outside quotes, `${f2bV_ip}` inside double
 *    quotes, `'"${f2bV_ip}"'` inside single quotes. An expansion's result is never parsed as shell
 *    syntax, so no value from a log line can run a command (short of an `eval` the admin wrote).
 */
import { hostname } from 'node:os';
import { ConfigError } from '../core/errors.js';
import { resolveKey } from '../config/interpolate.js';
import type { Setting } from '../config/types.js';
import type { ActionDefinition } from './definition.js';

/** Address family of a ban, as fail2ban names it in conditions (`?family=inet6`). */
export type Family = 'inet4' | 'inet6';

/** The values of one ban (or unban) that commands may refer to. */
export interface BanValues {
  readonly ip: string;
  readonly family: Family;
  /** Failures counted for this ban. */
  readonly failures: number;
  /** Ban time, seconds since the epoch (fail2ban's `<time>`). */
  readonly time: number;
  /** Ban length in seconds (-1: permanent). */
  readonly bantime: number;
  /** How many times the address was banned (bantime.increment's count). */
  readonly bancount: number;
  /** This ban's log lines, and the address's lines in every jail / this jail. */
  readonly matches: readonly string[];
  readonly ipmatches: readonly string[];
  readonly ipjailmatches: readonly string[];
  /** The filter's captured fields by lower-case name (`user` for `<F-USER>`). */
  readonly fields: Readonly<Record<string, string>>;
}

/** Tags that carry a ban's values: never taken from the action's options. */
export const DYNAMIC_TAGS: ReadonlySet<string> = new Set([
  'ip', 'family', 'failures', 'time', 'bantime', 'bancount', 'matches', 'ipmatches', 'ipjailmatches',
  'ipfailures', 'ipjailfailures', 'fid', 'ip-rev',
]);

/** fail2ban's fixed replacements. */
const FIXED: Readonly<Record<string, string>> = { br: '\n', sp: ' ' };

/** fail2ban's MAX_TAG_REPLACE_COUNT: passes over one text before a self-reference is assumed. */
const MAX_PASSES = 25;

const TAG = /<([^ <>]+)>/g;

/** The trusted value of tag `name` for `family`, or undefined when the action does not define it. */
function staticValue(def: ActionDefinition, name: string, family: Family): string | undefined {
  if (DYNAMIC_TAGS.has(name) || name.startsWith('F-')) return undefined;
  const key = name.toLowerCase();
  const opt = def.options.get(`${key}?family=${family}`) ?? def.options.get(key);
  if (opt) return opt.value;
  if (key.startsWith('known/')) return def.known.get(key.slice(6))?.value ?? '';
  const slash = key.indexOf('/');
  if (slash > 0) {
    const wanted = name.slice(0, slash);
    const section = [...def.store.sections.keys()].find((s) => s.toLowerCase() === wanted.toLowerCase());
    if (section) return resolveKey({ store: def.store, section }, key.slice(slash + 1))?.value;
  }
  if (key === 'fq-hostname') return hostname();
  if (key === 'sh-hostname') return hostname().split('.')[0];
  return FIXED[key];
}

/** The option `op` (e.g. `actionban`) with every trusted tag replaced; '' when the action has none. */
export function staticCommand(def: ActionDefinition, op: string, family: Family): string {
  const opt: Setting | undefined = def.options.get(`${op}?family=${family}`) ?? def.options.get(op);
  if (!opt) return '';
  let text = opt.value;
  for (let pass = 0; ; pass++) {
    const next = text.replace(TAG, (m, name: string) => staticValue(def, name, family) ?? m);
    if (next === text) return text;
    if (pass >= MAX_PASSES) {
      throw new ConfigError({ ...opt.pos, key: op }, `tags still change after ${MAX_PASSES} passes: an option refers to itself (${text.slice(0, 200)})`);
    }
    text = next;
  }
}

/** A command ready for `/bin/sh -c`: the script, and the variables it refers to. */
export interface ShellCommand {
  readonly script: string;
  readonly env: Readonly<Record<string, string>>;
}

/** The text of dynamic tag `name` for `v`, or undefined (unknown: left as written). */
function dynamicValue(name: string, v: BanValues): string | undefined {
  if (name.startsWith('F-')) return v.fields[name.slice(2).toLowerCase()] ?? '';
  switch (name) {
    case 'ip': return v.ip;
    case 'family': return v.family;
    case 'failures': return String(v.failures);
    case 'time': return String(v.time);
    case 'bantime': return String(v.bantime);
    case 'bancount': return String(v.bancount);
    case 'matches': return v.matches.join('\n');
    case 'ipmatches': return v.ipmatches.join('\n');
    case 'ipjailmatches': return v.ipjailmatches.join('\n');
    case 'ipfailures': return String(v.ipmatches.length);
    case 'ipjailfailures': return String(v.ipjailmatches.length);
    default: return undefined;
  }
}

/** fail2ban's variable name for a tag: `f2bV_` + the tag with non-word characters as `_`. */
export function variableName(tag: string): string {
  const base = tag.startsWith('F-') ? `F_${tag.slice(2).toLowerCase()}` : tag;
  return `f2bV_${base.replace(/\W/g, '_')}`;
}

/**
 * Replaces the dynamic tags of `script` (already statically substituted) by variable references
 * fitting the quoting context at each place, and returns the variables' values.
 */
export function dynamicCommand(script: string, values: BanValues | null): ShellCommand {
  const env: Record<string, string> = {};
  let out = '';
  let quote: '' | "'" | '"' = '';
  for (let i = 0; i < script.length; i++) {
    const c = script[i]!;
    if (c === '<' && values) {
      const m = /^<([^ <>]+)>/.exec(script.slice(i, i + 256));
      const value = m ? dynamicValue(m[1]!, values) : undefined;
      if (m && value !== undefined) {
        const name = variableName(m[1]!);
        env[name] = value;
        out += quote === '"' ? `\${${name}}` : quote === "'" ? `'"\${${name}}"'` : `"\${${name}}"`;
        i += m[0].length - 1;
        continue;
      }
    }
    out += c;
    if (quote === "'") {
      if (c === "'") quote = '';
    } else if (c === '\\' && i + 1 < script.length) {
      out += script[++i];
    } else if (c === '"') {
      quote = quote === '"' ? '' : '"';
    } else if (c === "'" && quote === '') {
      quote = "'";
    }
  }
  return { script: out, env };
}
