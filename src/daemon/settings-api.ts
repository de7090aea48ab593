/**
 * `f2b-fw get/set JAIL KEY [VALUE]`: reads and changes a running jail's
 * settings (bantime, findtime, maxretry, ignoreip). Values are checked with the
 * same parsers as the config files; changes last until the next reload.
 */
import { ConfigError } from '../core/errors.js';
import { parseDuration } from '../config/duration.js';
import { parseIgnoreEntry } from '../jail/ignore.js';
import { parseCount, type JailSettings } from '../jail/settings.js';
import { ApiError, type JailKey, type JailValue } from './api.js';
import type { RuntimeJail } from './jails.js';

/** One setting of a running jail (`banned` is answered by the daemon from the store). */
export function jailGet(j: RuntimeJail, key: JailKey): JailValue {
  const s = j.settings;
  switch (key) {
    case 'bantime': return s.bantime;
    case 'findtime': return s.findtime;
    case 'maxretry': return s.maxretry;
    case 'ignoreip': return s.ignoreip;
    case 'logpath': return j.files();
    default: throw new ApiError('bad-key', `cannot get ${JSON.stringify(key)}; keys: bantime, findtime, maxretry, ignoreip, logpath, banned`);
  }
}

function checked<T>(jail: string, key: string, value: string, parse: () => T): T {
  try {
    return parse();
  } catch (e) {
    if (e instanceof ConfigError) throw new ApiError('bad-value', `[${jail}] ${key} = ${JSON.stringify(value)}: ${e.message.split(': ').slice(1).join(': ') || e.message}`);
    throw e;
  }
}

/** Changes one setting of a running jail; returns the new value. */
export function jailSet(j: RuntimeJail, key: JailKey, value: string): JailValue {
  const pos = { file: '(set command)', section: j.name, key, value };
  const v = value.trim();
  let next: JailSettings;
  switch (key) {
    case 'bantime':
      next = { ...j.settings, bantime: checked(j.name, key, v, () => parseDuration(v, pos)) };
      break;
    case 'findtime': {
      const d = checked(j.name, key, v, () => parseDuration(v, pos));
      if (d === null || d <= 0) throw new ApiError('bad-value', `[${j.name}] findtime must be a positive duration, not ${JSON.stringify(value)}`);
      next = { ...j.settings, findtime: d };
      break;
    }
    case 'maxretry': {
      next = { ...j.settings, maxretry: checked(j.name, key, v, () => parseCount(v, pos)) };
      break;
    }
    case 'addignoreip':
      checked(j.name, key, v, () => parseIgnoreEntry(v, pos));
      next = { ...j.settings, ignoreip: j.settings.ignoreip.includes(v) ? j.settings.ignoreip : [...j.settings.ignoreip, v] };
      break;
    case 'delignoreip':
      if (!j.settings.ignoreip.includes(v)) throw new ApiError('bad-value', `[${j.name}] ${JSON.stringify(v)} is not in ignoreip (${j.settings.ignoreip.join(' ') || 'empty'})`);
      next = { ...j.settings, ignoreip: j.settings.ignoreip.filter((e) => e !== v) };
      break;
    default:
      throw new ApiError('bad-key', `cannot set ${JSON.stringify(key)}; keys: bantime, findtime, maxretry, addignoreip, delignoreip, banip, unbanip`);
  }
  j.reconfigure(next);
  return jailGet(j, key === 'addignoreip' || key === 'delignoreip' ? 'ignoreip' : key);
}
