/**
 * The jail configuration: `jail.conf`, `jail.d/*.conf`, `jail.local`,
 * `jail.d/*.local` layered in that order (each with its includes), with
 * `[DEFAULT]` merged into every jail and every `%(var)s` resolved. When the
 * config dir has no `jail.conf`, the shipped one (and its `jail.d/*.conf`)
 * from RULES_DIR is read instead, so a config dir holding only a
 * `jail.local` works.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../core/errors.js';
import { PACKAGE_ROOT, RULES_DIR } from '../core/paths.js';
import { resolveKey, type ExtraValue, type InterpolationContext } from './interpolate.js';
import { parseBoolean } from './bool.js';
import { readLayered, sortedGlob, type LayeredStore } from './layers.js';
import type { RawSection, Setting } from './types.js';
import { jailActions, type ClassifiedAction } from '../actions/classify.js';
import { applyFirewallActions } from '../actions/firewall-map.js';

/** Everything the jail files say, layered and resolved. */
export interface LoadedConfig {
  readonly configDir: string;
  /** `[DEFAULT]`, resolved in its own context. */
  readonly defaults: RawSection;
  /** Every jail section in file order, enabled or not (key `enabled`), DEFAULT merged in. */
  readonly jails: readonly RawSection[];
  /** The files read, in order (for `check-config` and messages). */
  readonly files: readonly string[];
  /**
   * Each enabled jail's actions, classified (src/actions/classify.ts). The jail sections above
   * already carry what its firewall actions say about port, protocol, blocktype and hooks.
   */
  readonly actions: ReadonlyMap<string, readonly ClassifiedAction[]>;
}

/**
 * The jail keys f2b-fw reads. In an enabled jail an unresolvable value of one
 * of these is an error; other keys (fail2ban's action shortcuts, mail
 * settings…) are only resolved when possible, as fail2ban only reads the
 * options it knows.
 */
export const JAIL_KEYS: ReadonlySet<string> = new Set([
  'enabled', 'filter', 'logpath', 'backend', 'journalmatch', 'logtimezone', 'usedns',
  'maxretry', 'findtime', 'bantime', 'ignoreip', 'ignoreself',
  'bantime.increment', 'bantime.factor', 'bantime.formula', 'bantime.multipliers', 'bantime.maxtime',
  'bantime.rndtime', 'bantime.overalljails',
  'port', 'protocol', 'hooks', 'verdict', 'blocktype', 'priority', 'banaction',
  'action', 'ignorecommand', 'mode', 'failregex', 'ignoreregex', 'prefregex', 'maxlines', 'datepattern',
]);

/** Sections that are not jails. */
const NOT_JAILS = new Set(['INCLUDES', 'DEFAULT']);

/** The jail files of a config dir in fail2ban's reading order. */
export function jailFiles(configDir: string): string[] {
  const own = join(configDir, 'jail.conf');
  const base = existsSync(own) ? [own] : [join(RULES_DIR, 'jail.conf'), ...sortedGlob(join(RULES_DIR, 'jail.d'), '.conf')];
  return [
    ...base,
    ...sortedGlob(join(configDir, 'jail.d'), '.conf'),
    join(configDir, 'jail.local'),
    ...sortedGlob(join(configDir, 'jail.d'), '.local'),
  ];
}

let version: string | undefined;
function packageVersion(): string {
  version ??= (JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  return version;
}

/** Values every jail file may refer to, as fail2ban provides them. */
function builtins(configDir: string): Map<string, ExtraValue> {
  const pos = { file: '(built-in)' };
  return new Map([
    ['fail2ban_version', { value: packageVersion(), pos, resolved: true }],
    ['fail2ban_confpath', { value: configDir, pos, resolved: true }],
    ['f2b_fw_version', { value: packageVersion(), pos, resolved: true }],
  ]);
}

/** Resolves every key of a section (its own and DEFAULT's); `strict`: refuse bad JAIL_KEYS. */
function resolveSection(store: LayeredStore, name: string, vars: Map<string, ExtraValue>, strict: boolean): RawSection {
  const ctx: InterpolationContext = { store, section: name, vars, keepUnknownKnown: true };
  const keys = new Set([...store.defaults.keys(), ...(store.sections.get(name)?.keys() ?? [])]);
  const settings = new Map<string, Setting>();
  for (const key of keys) {
    try {
      const r = resolveKey(ctx, key);
      if (r) settings.set(key, { value: r.value, pos: r.pos });
    } catch (err) {
      // A disabled jail is never started, and keys f2b-fw does not read do not matter.
      if ((strict && JAIL_KEYS.has(key)) || !(err instanceof ConfigError)) throw err;
    }
  }
  return { name, settings };
}

/** True when the section's `enabled` says so (the one boolean parser: another word is a ConfigError). */
function isEnabled(store: LayeredStore, name: string, vars: Map<string, ExtraValue>): boolean {
  const r = resolveKey({ store, section: name, vars }, 'enabled');
  return r !== undefined && parseBoolean(r.value, r.pos);
}

/**
 * Loads the jail configuration of `configDir`. Throws ConfigError (file,
 * line, section, key, value) for a syntax error, an interpolation loop or a
 * reference to a missing key in an enabled jail.
 */
export function loadJailConfig(configDir: string): LoadedConfig {
  const store = readLayered(jailFiles(configDir));
  if (store.files.length === 0) {
    throw new ConfigError({ file: join(configDir, 'jail.conf') }, `no jail configuration found (nor in ${RULES_DIR})`);
  }
  const vars = builtins(configDir);
  // DEFAULT values may refer to keys only jails set: their errors surface in the jails.
  const defaults = resolveSection(store, 'DEFAULT', vars, false);
  const jails: RawSection[] = [];
  const actions = new Map<string, readonly ClassifiedAction[]>();
  for (const name of store.sections.keys()) {
    if (NOT_JAILS.has(name)) continue;
    const enabled = isEnabled(store, name, vars);
    const raw = resolveSection(store, name, vars, enabled);
    if (!enabled) { jails.push(raw); continue; }
    const classified = jailActions(configDir, raw);
    actions.set(name, classified);
    jails.push(applyFirewallActions(raw, classified));
  }
  return { configDir, defaults, jails, files: store.files, actions };
}
