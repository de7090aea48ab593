/**
 * Every `f2b-fw` sub-command, in the order `--help` lists them: name and summary
 * here, the command itself loaded only when it runs, so `f2b-fw ping` never loads
 * the daemon, the store (better-sqlite3) or the netlink sockets (koffi).
 */
import type { Command } from '../command.js';

/** One listed sub-command. */
export interface CommandEntry {
  /** The word after `f2b-fw`. */
  readonly name: string;
  /** One line for `f2b-fw --help`. */
  readonly summary: string;
  /** Imports the command's module. */
  load(): Promise<Command>;
}

export const COMMANDS: readonly CommandEntry[] = [
  { name: 'version', summary: 'print the version', load: async () => (await import('./version.js')).versionCommand },
  { name: 'run', summary: 'run the daemon in the foreground', load: async () => (await import('./run.js')).runCommand },
  { name: 'check-config', summary: 'validate the configuration without starting', load: async () => (await import('./check-config.js')).checkConfigCommand },
  { name: 'import-fail2ban-db', summary: 'import the bans in force from a fail2ban database', load: async () => (await import('./import-fail2ban-db.js')).importFail2banDbCommand },
  { name: 'status', summary: 'show the jails, or one jail\'s failures and bans', load: async () => (await import('./status.js')).statusCommand },
  { name: 'ban', summary: 'ban addresses in a jail now', load: async () => (await import('./ban.js')).banCommand },
  { name: 'unban', summary: 'lift bans (one jail or all jails)', load: async () => (await import('./unban.js')).unbanCommand },
  { name: 'banned', summary: 'list bans in force (or which jails hold IP)', load: async () => (await import('./banned.js')).bannedCommand },
  { name: 'history', summary: 'show every recorded ban of an address', load: async () => (await import('./history.js')).historyCommand },
  { name: 'reload', summary: 're-read the configuration (all jails or one)', load: async () => (await import('./reload.js')).reloadCommand },
  { name: 'stop', summary: 'stop the daemon', load: async () => (await import('./stop.js')).stopCommand },
  { name: 'ping', summary: 'check that the daemon answers', load: async () => (await import('./ping.js')).pingCommand },
  { name: 'flushlogs', summary: 'reopen the log file (after logrotate)', load: async () => (await import('./flushlogs.js')).flushlogsCommand },
  { name: 'get', summary: 'read a jail setting from the daemon', load: async () => (await import('./get.js')).getCommand },
  { name: 'set', summary: 'change a jail setting at run time (also banip/unbanip)', load: async () => (await import('./set.js')).setCommand },
  { name: 'reconcile', summary: 'bring the kernel firewall in line with the configuration (one transaction)', load: async () => (await import('./reconcile.js')).reconcileCommand },
  { name: 'demo', summary: 'build a throwaway router lab, replay an attack and show the ban', load: async () => (await import('./demo.js')).demoCommand },
  { name: 'test-filter', summary: 'run a filter over a log and report matches (like fail2ban-regex)', load: async () => (await import('./test-filter.js')).testFilterCommand },
];
