/**
 * A filter definition as fail2ban builds it: `filter.d/NAME.conf`, its
 * `NAME.d/*.conf`, `NAME.local`, `NAME.d/*.local` (with includes such as
 * `common.conf`), the `[Init]` section and the jail's `name[k=v]` arguments
 * overriding `[Definition]` values, `%(var)s` and `known/` resolved, then
 * `<tag>` references between the options substituted (`<mdre-<mode>>`).
 * A filter missing from the config dir is read from RULES_DIR/filter.d.
 */
import { existsSync } from 'node:fs';
import { basename, join, relative, resolve, sep } from 'node:path';
import { ConfigError, type ConfigPosition } from '../core/errors.js';
import { RULES_DIR } from '../core/paths.js';
import { resolveKey, type ExtraValue } from './interpolate.js';
import { readLayered, sortedGlob, type LayeredStore } from './layers.js';
import { parseSpec } from './spec-args.js';
import type { RawSection, Setting } from './types.js';

/** Filter keys a jail may set itself, replacing (or extending via `%(known/key)s`) the filter's. */
export const JAIL_FILTER_KEYS: readonly string[] =
  ['failregex', 'ignoreregex', 'prefregex', 'maxlines', 'datepattern', 'journalmatch'];

/** How many times one tag may be substituted inside one value. */
const MAX_TAG_REPLACE = 25;

/** The files that make up filter `name` (or the file at a path). */
function filterFiles(configDir: string, name: string, pos: ConfigPosition): string[] {
  if (name.includes('/') || /\.(conf|local)$/.test(name)) {
    const path = resolve(name);
    if (!existsSync(path)) throw new ConfigError(pos, `filter file ${path} does not exist`);
    return [path];
  }
  if (!/^[\w][\w.\-@]*$/.test(name)) throw new ConfigError(pos, `bad filter name ${JSON.stringify(name)}`);
  const own = join(configDir, 'filter.d');
  const base = [join(own, `${name}.conf`), join(RULES_DIR, 'filter.d', `${name}.conf`)].find((f) => existsSync(f));
  const files = [
    ...(base ? [base] : []),
    ...sortedGlob(join(own, `${name}.d`), '.conf'),
    join(own, `${name}.local`),
    ...sortedGlob(join(own, `${name}.d`), '.local'),
  ];
  if (files.filter((f) => existsSync(f)).length === 0) {
    throw new ConfigError(pos, `filter ${name} not found in ${own} nor in ${join(RULES_DIR, 'filter.d')}`);
  }
  return files;
}

/** Replaces `%(known/key)s` in a jail's value with the filter's own value of `key`. */
function withKnown(value: string, own: (key: string) => string | undefined): string {
  return value.replace(/%\(known\/([^)]+)\)s/g, (_m, key: string) => own(key.toLowerCase()) ?? '');
}

/** `<section/key>` and `<default/key>` tags: the value of a key of another section of the filter files. */
function sectionTag(store: LayeredStore, name: string): Setting | undefined {
  const slash = name.indexOf('/');
  if (slash <= 0) return undefined;
  const sec = name.slice(0, slash);
  const section = sec.toLowerCase() === 'default' ? 'DEFAULT' : sec;
  if (section !== 'DEFAULT' && !store.sections.has(section)) return undefined;
  return resolveKey({ store, section }, name.slice(slash + 1).toLowerCase());
}

/** Substitutes `<name>` references to other options, innermost first (fail2ban's recursive tags). */
function substituteTags(opts: Map<string, Setting>, store: LayeredStore): void {
  for (const [key, setting] of opts) {
    let value = setting.value;
    const counts = new Map<string, number>();
    const tag = /<([^ <>]+)>/g;
    let m: RegExpExecArray | null;
    while ((m = tag.exec(value)) !== null) {
      const name = m[1]!;
      const repl = opts.get(name) ?? sectionTag(store, name);
      if (!repl) continue;
      const n = (counts.get(name) ?? 0) + 1;
      if (name === key || n > MAX_TAG_REPLACE) {
        throw new ConfigError({ ...setting.pos, key }, `<${name}> refers back to itself`);
      }
      counts.set(name, n);
      value = value.slice(0, m.index) + repl.value + value.slice(m.index + m[0].length);
      tag.lastIndex = 0; // an outer tag (`<mdre-<mode>>`) may be complete now
    }
    if (value !== setting.value) opts.set(key, { value, pos: setting.pos });
  }
}

/** `filter =` (empty): the jail's own failregex etc. are the whole filter, as in fail2ban. */
function jailOnlyFilter(jail: RawSection | undefined, pos: ConfigPosition): RawSection {
  const settings = new Map<string, Setting>();
  for (const key of JAIL_FILTER_KEYS) {
    const s = jail?.settings.get(key);
    if (s) settings.set(key, { value: withKnown(s.value, () => undefined), pos: s.pos });
  }
  if (!settings.has('failregex')) throw new ConfigError(pos, 'filter is empty and the jail sets no failregex of its own');
  return { name: jail?.name ?? 'inline', settings };
}

/**
 * Loads filter `spec` (`name`, `name[k=v, ...]` or a file path with optional
 * `[k=v]`) for `jail` (whose options act as defaults for `%(var)s` and whose
 * own failregex/ignoreregex/... replace the filter's). Returns the resolved
 * `[Definition]` (plus `[Init]` and arguments) with multi-line values joined by `\n`.
 */
export function loadFilterDefinition(configDir: string, spec: string, jail?: RawSection): RawSection {
  const pos: ConfigPosition = jail?.settings.get('filter')?.pos ?? { file: spec };
  if (spec.trim() === '') return jailOnlyFilter(jail, pos);
  const { name, args } = parseSpec(spec, pos);
  // An include missing from the config dir's filter.d (a custom filter's `before = common.conf`) comes from RULES_DIR.
  const ownDir = join(configDir, 'filter.d');
  const shipped = (missing: string): string | undefined =>
    missing.startsWith(ownDir + sep) ? join(RULES_DIR, 'filter.d', relative(ownDir, missing)) : undefined;
  const store: LayeredStore = readLayered(filterFiles(configDir, name, pos), shipped);
  const definition = store.sections.get('Definition');
  if (!definition) {
    throw new ConfigError({ file: store.files.at(-1) ?? name }, `filter ${name} has no [Definition] section`);
  }
  // [Init] values and the reference's arguments (arguments win; `known/k` keeps [Init]'s k).
  const init = new Map<string, ExtraValue>();
  for (const [k, v] of args) init.set(k.toLowerCase(), { value: v, pos: { ...pos, value: spec }, resolved: true });
  for (const key of store.sections.get('Init')?.keys() ?? []) {
    const r = resolveKey({ store, section: 'Init' }, key)!;
    const value: ExtraValue = { value: r.value, pos: r.pos, resolved: true };
    init.set(`known/${key}`, value);
    if (!init.has(key)) init.set(key, value);
  }
  // fail2ban's automatic `logtype` (common.conf picks the line prefix by it): journal for backend = systemd.
  if (!init.has('logtype') && !definition.has('logtype')) {
    const journal = jail?.settings.get('backend')?.value.trim().startsWith('systemd') ?? false;
    init.set('logtype', { value: journal ? 'journal' : 'file', pos, resolved: true });
  }
  const vars = new Map<string, ExtraValue>();
  for (const [k, s] of jail?.settings ?? []) vars.set(k, { value: s.value, pos: s.pos, resolved: true });
  for (const [k, v] of init) vars.set(k, v);

  const ownCache = new Map<string, string | undefined>();
  const own = (key: string): string | undefined => {
    if (!ownCache.has(key)) {
      const without = new Map(vars);
      without.delete(key);
      ownCache.set(key, resolveKey({ store, section: 'Definition', vars: without }, key)?.value);
    }
    return ownCache.get(key);
  };

  const opts = new Map<string, Setting>();
  for (const key of new Set([...store.defaults.keys(), ...definition.keys()])) {
    const r = resolveKey({ store, section: 'Definition', vars }, key)!;
    opts.set(key, { value: r.value, pos: r.pos });
  }
  for (const [k, v] of init) opts.set(k, { value: v.value, pos: v.pos });
  // A jail's own failregex etc. (set in the jail, not inherited from DEFAULT) replaces the filter's.
  for (const key of JAIL_FILTER_KEYS) {
    const s = jail?.settings.get(key);
    if (s && s.pos.section !== 'DEFAULT') opts.set(key, { value: withKnown(s.value, own), pos: s.pos });
  }
  substituteTags(opts, store);
  const settings = new Map([...opts].filter(([k]) => !k.startsWith('known/') && k !== '__name__'));
  return { name: basename(name).replace(/\.(conf|local)$/, ''), settings };
}
