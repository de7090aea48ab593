/**
 * A jail's `action` value as fail2ban reads it: after `%(action_mwl)s`, `%(known/action)s` and
 * the rest are interpolated, one value holding several references separated by whitespace and
 * newlines, each `name` or `name[key=value, key2="quoted, value"]` (an argument list may span
 * lines). As in fail2ban, `name` defaults to the jail's name and an action is known by its
 * `actname` argument, else its file name with the part of `name` beyond the jail's name appended
 * (`iptables-multiport-tcp` for `name=%(__name__)s-tcp`); the same action name twice in one jail is
 * refused, as two actions of one name would share their state.
 */
import { ConfigError, type ConfigPosition } from '../core/errors.js';
import { parseSpec, splitSpecs } from '../config/spec-args.js';
import type { RawSection } from '../config/types.js';

/** One reference from a jail's `action`. */
export interface ActionRef {
  /** The action's name in this jail (`actname` argument, else the file name). */
  readonly name: string;
  /** The file (action.d/FILE.conf) or our built-in name, as written before `[`. */
  readonly file: string;
  /** Arguments, lower-cased keys, in order. */
  readonly args: ReadonlyMap<string, string>;
  /** The reference as written (for messages). */
  readonly text: string;
  /** Where `action` was set (file, line, section, key), with this reference as the value. */
  readonly pos: ConfigPosition;
}

/** The references of a jail's `action` (none when unset or empty). */
export function actionRefs(jail: RawSection): ActionRef[] {
  const setting = jail.settings.get('action');
  if (!setting) return [];
  const refs: ActionRef[] = [];
  const byName = new Map<string, ActionRef>();
  for (const text of splitSpecs(setting.value)) {
    const pos: ConfigPosition = { ...setting.pos, section: setting.pos.section ?? jail.name, key: 'action', value: text };
    const spec = parseSpec(text, pos);
    const args = new Map([...spec.args].map(([k, v]) => [k.toLowerCase(), v] as const));
    const tag = args.get('name') ?? jail.name;
    if (!args.has('name')) args.set('name', tag);
    const suffix = tag === jail.name ? '' : tag.startsWith(jail.name) ? tag.slice(jail.name.length) : `-${tag}`;
    const name = args.get('actname')?.trim() || spec.name + suffix;
    const earlier = byName.get(name);
    if (earlier) {
      throw new ConfigError(pos, `action ${name} is named twice in jail ${jail.name} (${JSON.stringify(earlier.text)} and ${JSON.stringify(text)}); `
        + 'give one of them another name with actname=…');
    }
    const ref: ActionRef = { name, file: spec.name, args, text, pos };
    byName.set(name, ref);
    refs.push(ref);
  }
  return refs;
}
