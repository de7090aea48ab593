/**
 * The daemon's own settings: `f2b-fw.conf` (then `f2b-fw.d/*.conf`,
 * `f2b-fw.local`, `f2b-fw.d/*.local`), section `[Definition]`, with
 * fail2ban.conf's key names (socket, pidfile, dbfile, dbpurgeage, loglevel,
 * logtarget) and ours (socketgroup, on_stop, metrics), plus section `[Fleet]`
 * (src/fleet/config.ts). Missing files or keys
 * take the defaults from DEFAULTS; command-line flags override later.
 */
import { join } from 'node:path';
import { DEFAULTS } from '../core/defaults.js';
import { ConfigError, type ConfigPosition } from '../core/errors.js';
import { parseDuration } from './duration.js';
import { resolveKey } from './interpolate.js';
import { readLayered, sortedGlob } from './layers.js';
import { readFleetSettings, type FleetSettings } from '../fleet/config.js';

/** What the daemon process is configured to do. */
export interface DaemonSettings {
  readonly socket: string;
  readonly pidfile: string;
  readonly dbfile: string;
  /** History older than this many seconds is purged. */
  readonly dbpurgeage: number;
  /** pino or fail2ban level name (lower case). */
  readonly loglevel: string;
  /** `STDOUT`, `STDERR`, `SYSLOG`, `SYSTEMD-JOURNAL` or a file path. */
  readonly logtarget: string;
  /** Group allowed to use the control socket (mode 0660); absent: root only (0600). */
  readonly socketGroup?: string;
  /** On `stop`: leave the kernel's bans to expire by their timeouts, or remove them. */
  readonly onStop: 'keep' | 'flush';
  /** Address (`host:port` or a unix socket path) to serve metrics on; absent: no metrics. */
  readonly metrics?: string;
  /** `[Fleet]`: bans shared through Redis (docs/fleet.md); absent: no fleet. */
  readonly fleet?: FleetSettings;
}

const LEVELS = ['critical', 'fatal', 'error', 'warning', 'warn', 'notice', 'info', 'debug', 'trace'];
const KNOWN = new Set(['socket', 'pidfile', 'dbfile', 'dbpurgeage', 'loglevel', 'logtarget', 'socketgroup', 'on_stop', 'metrics',
  // fail2ban.conf keys we accept and ignore (no meaning here).
  'allowipv6', 'dbmaxmatches', 'syslogsocket', 'before', 'after']);

/** Reads the daemon settings of `configDir` (defaults when it has no f2b-fw.conf). */
export function loadDaemonSettings(configDir: string): DaemonSettings {
  const store = readLayered([
    join(configDir, 'f2b-fw.conf'),
    ...sortedGlob(join(configDir, 'f2b-fw.d'), '.conf'),
    join(configDir, 'f2b-fw.local'),
    ...sortedGlob(join(configDir, 'f2b-fw.d'), '.local'),
  ]);
  const def = store.sections.get('Definition') ?? new Map();
  for (const [key, l] of def) {
    if (!KNOWN.has(key)) throw new ConfigError(l.pos, `unknown key (known: ${[...KNOWN].slice(0, 9).join(', ')})`);
  }
  const get = (key: string): { value: string; pos: ConfigPosition } | undefined =>
    def.has(key) ? resolveKey({ store, section: 'Definition' }, key) : undefined;
  const str = (key: string, fallback: string): string => {
    const r = get(key);
    if (r && r.value.trim() === '') throw new ConfigError(r.pos, 'empty value');
    return r ? r.value.trim() : fallback;
  };
  const loglevel = str('loglevel', DEFAULTS.logLevel).toLowerCase();
  if (!LEVELS.includes(loglevel)) {
    throw new ConfigError({ ...get('loglevel')!.pos, value: loglevel }, `unknown log level (one of ${LEVELS.join(', ')})`);
  }
  const onStop = str('on_stop', DEFAULTS.onStop).toLowerCase();
  if (onStop !== 'keep' && onStop !== 'flush') {
    throw new ConfigError({ ...get('on_stop')!.pos, value: onStop }, 'on_stop must be keep or flush');
  }
  const age = get('dbpurgeage');
  const dbpurgeage = age ? parseDuration(age.value, age.pos) : DEFAULTS.dbPurgeAge;
  if (dbpurgeage === null) throw new ConfigError(age!.pos, 'dbpurgeage cannot be permanent (-1)');
  const fleetSection = store.sections.get('Fleet') ?? new Map();
  const fleet = readFleetSettings(fleetSection.keys(),
    (key) => (fleetSection.has(key) ? resolveKey({ store, section: 'Fleet' }, key) : undefined),
    { file: join(configDir, 'f2b-fw.conf'), section: 'Fleet' });
  const group = get('socketgroup')?.value.trim();
  const metrics = get('metrics')?.value.trim();
  return {
    socket: str('socket', DEFAULTS.socket),
    pidfile: str('pidfile', DEFAULTS.pidFile),
    dbfile: str('dbfile', DEFAULTS.dbFile),
    dbpurgeage,
    loglevel,
    logtarget: str('logtarget', DEFAULTS.logTarget),
    onStop,
    ...(group ? { socketGroup: group } : {}),
    ...(metrics ? { metrics } : {}),
    ...(fleet ? { fleet } : {}),
  };
}
