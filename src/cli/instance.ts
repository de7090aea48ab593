/**
 * The one place the command line's options become paths: where one daemon
 * instance keeps its files. f2b-fw.conf in the config dir says
 * (fail2ban.conf's keys), and `--config-dir`, `--db`, `--socket`,
 * `--pidfile` override it, so several instances run side by side. Every
 * command (daemon, reconcile, check-config, the control clients,
 * test-filter) resolves through here.
 */
import { DEFAULTS } from '../core/defaults.js';
import { loadDaemonSettings, type DaemonSettings } from '../config/daemon-conf.js';
import type { CommandArgs } from './command.js';

/** Options that choose an instance's files, shared by run, reconcile, import-fail2ban-db, check-config. */
export const INSTANCE_OPTIONS = {
  'config-dir': { type: 'string' },
  db: { type: 'string' },
  socket: { type: 'string' },
  pidfile: { type: 'string' },
} as const;

/** Help lines for INSTANCE_OPTIONS. */
export const INSTANCE_OPTIONS_HELP = [
  `  --config-dir DIR   configuration directory (default ${DEFAULTS.configDir})`,
  '  --db FILE          ban database (default: dbfile in f2b-fw.conf)',
  '  --socket PATH      control socket (default: socket in f2b-fw.conf)',
  '  --pidfile PATH     pid file (default: pidfile in f2b-fw.conf)',
].join('\n');

/** An instance's resolved settings and config dir. */
export interface Instance {
  readonly configDir: string;
  readonly settings: DaemonSettings;
}

function flag(args: CommandArgs, name: string): string | undefined {
  const v = args.values[name];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** The configuration directory: --config-dir, else the default. */
export function configDirOf(args: CommandArgs): string {
  return flag(args, 'config-dir') ?? DEFAULTS.configDir;
}

/** Reads f2b-fw.conf of the chosen config dir and applies the path flags. */
export function resolveInstance(args: CommandArgs): Instance {
  const configDir = configDirOf(args);
  const base = loadDaemonSettings(configDir);
  return {
    configDir,
    settings: {
      ...base,
      dbfile: flag(args, 'db') ?? base.dbfile,
      socket: flag(args, 'socket') ?? base.socket,
      pidfile: flag(args, 'pidfile') ?? base.pidfile,
    },
  };
}
