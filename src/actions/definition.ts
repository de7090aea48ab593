/**
 * An action definition as fail2ban builds it: `action.d/NAME.conf`, `NAME.d/*.conf`, `NAME.local`,
 * `NAME.d/*.local` layered (with their `[INCLUDES]`), `[Definition]` values interpolated with the
 * jail's options and the reference's arguments available as `%(key)s`, and `[Init]` (plus the
 * conditional `[Init?family=inet6]`) overridden by the reference's arguments. The combined options
 * are what `<tag>`s in the commands are replaced with (src/actions/tags.ts).
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError } from '../core/errors.js';
import { resolveKey, type ExtraValue } from '../config/interpolate.js';
import { readLayered, type LayeredStore } from '../config/layers.js';
import { sortedGlob } from '../config/layers.js';
import type { RawSection, Setting } from '../config/types.js';
import type { ActionRef } from './refs.js';

/** One action of one jail, read from its files. */
export interface ActionDefinition {
  readonly ref: ActionRef;
  readonly jail: string;
  /** The files read, in order. */
  readonly files: readonly string[];
  /**
   * Combined options: [Definition] values, then [Init] values, then the reference's arguments
   * (later win). Conditional ones are keyed `key?family=inet6`.
   */
  readonly options: ReadonlyMap<string, Setting>;
  /** [Init] values as the files set them (what `<known/key>` and `%(known/key)s` refer to). */
  readonly known: ReadonlyMap<string, Setting>;
  /** Keys a `.local` file sets (classification: a `.local` that replaces `actionban` makes it a command). */
  readonly localKeys: ReadonlySet<string>;
  /** The layered files, for `<section/key>` tags. */
  readonly store: LayeredStore;
}

const ACTION_FILE = /^[\w][\w.\-@]*$/;

/** The files of action `file` in `configDir` (empty: none exists). */
export function actionFiles(configDir: string, ref: ActionRef): string[] {
  if (ref.file.includes('/')) {
    const path = resolve(ref.file);
    return existsSync(path) ? [path] : [];
  }
  if (!ACTION_FILE.test(ref.file)) throw new ConfigError(ref.pos, `bad action name ${JSON.stringify(ref.file)}`);
  const dir = join(configDir, 'action.d');
  const files = [
    join(dir, `${ref.file}.conf`),
    ...sortedGlob(join(dir, `${ref.file}.d`), '.conf'),
    join(dir, `${ref.file}.local`),
    ...sortedGlob(join(dir, `${ref.file}.d`), '.local'),
  ];
  return files.some((f) => existsSync(f)) ? files : [];
}

/** `Init`, `Init?family=inet6` → [base section, condition or '']. */
function splitCondition(section: string): [string, string] {
  const q = section.indexOf('?');
  return q < 0 ? [section, ''] : [section.slice(0, q), section.slice(q + 1)];
}

/**
 * Reads action `ref` of `jail`; undefined when no file of it exists (the caller classifies the
 * name). Errors (syntax, interpolation) name file, line, section, key and value.
 */
export function loadActionDefinition(configDir: string, ref: ActionRef, jail: RawSection): ActionDefinition | undefined {
  const files = actionFiles(configDir, ref);
  if (files.length === 0) return undefined;
  const store = readLayered(files);
  const argPos = ref.pos;
  const own = new Set<string>();
  for (const [name, section] of store.sections) {
    const [base] = splitCondition(name);
    if (base === 'Definition' || base === 'Init') for (const k of section.keys()) own.add(k);
  }
  const known = new Map<string, Setting>();
  const vars = new Map<string, ExtraValue>();
  // The jail's options are the fallback for %(key)s the action files do not set themselves.
  for (const [k, s] of jail.settings) if (!own.has(k)) vars.set(k, { value: s.value, pos: s.pos, resolved: true });
  const options = new Map<string, Setting>();
  const initLayer = new Map<string, Setting>();
  for (const [name, section] of store.sections) {
    const [base, cond] = splitCondition(name);
    if (base !== 'Init') continue;
    for (const key of section.keys()) {
      const r = resolveKey({ store, section: name }, key);
      if (!r) continue;
      const setting = { value: r.value, pos: r.pos };
      if (cond === '') known.set(key, setting);
      initLayer.set(cond === '' ? key : `${key}?${cond}`, setting);
    }
  }
  for (const [k, s] of known) {
    vars.set(`known/${k}`, { value: s.value, pos: s.pos, resolved: true });
    vars.set(k, { value: s.value, pos: s.pos, resolved: true });
  }
  for (const [k, v] of ref.args) vars.set(k, { value: v, pos: argPos, resolved: true });
  for (const [name, section] of store.sections) {
    const [base, cond] = splitCondition(name);
    if (base !== 'Definition') continue;
    for (const key of section.keys()) {
      const r = resolveKey({ store, section: name, vars: withoutKey(vars, key) }, key);
      if (r) options.set(cond === '' ? key : `${key}?${cond}`, { value: r.value, pos: r.pos });
    }
  }
  for (const [k, s] of initLayer) options.set(k, s);
  for (const [k, v] of ref.args) options.set(k, { value: v, pos: argPos });
  const localKeys = new Set<string>();
  for (const section of store.sections.values()) {
    for (const [k, l] of section) if (hasLocalLayer(l)) localKeys.add(k);
  }
  return { ref, jail: jail.name, files: store.files, options, known, localKeys, store };
}

/** The vars without `key` itself, so a key's own value is not shadowed by the jail's or an argument. */
function withoutKey(vars: ReadonlyMap<string, ExtraValue>, key: string): Map<string, ExtraValue> {
  const out = new Map(vars);
  out.delete(key);
  return out;
}

function hasLocalLayer(l: { pos: { file: string }; prev?: unknown } | undefined): boolean {
  for (let cur = l as { pos: { file: string }; prev?: unknown } | undefined; cur; cur = cur.prev as typeof cur) {
    if (cur.pos.file.endsWith('.local')) return true;
  }
  return false;
}
