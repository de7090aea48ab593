/**
 * A private fail2ban configuration directory for the side-by-side benchmark:
 * a copy of Debian's /etc/fail2ban (actions, filters) with the distribution's
 * jail.d removed, and our own fail2ban.local (log, socket, pid and database
 * in the temp dir) and jail.local (one jail reading one log, the nftables
 * action). Nothing of it points at /var or /run, so a server started on it
 * shares nothing with a system fail2ban.
 */
import { cpSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Where Debian's package keeps its configuration. */
export const FAIL2BAN_ETC = '/etc/fail2ban';

/** The test filter, same pattern as f2b-fw's bench filter: `FAIL login from <HOST>`, no date (time = now). */
export const FAIL2BAN_FILTER = '[Definition]\nfailregex = ^FAIL login from <HOST>$\nignoreregex =\ndatepattern = {NONE}\n';

/** fail2ban's nftables action names (action.d/NAME.conf). */
export type Fail2banNftAction = 'nftables-allports' | 'nftables-multiport';

/** A temp fail2ban config dir and the paths the server will use. */
export interface Fail2banConfig {
  readonly dir: string;
  readonly socket: string;
  readonly pidfile: string;
  readonly dbfile: string;
  readonly logfile: string;
  /** The log the jail follows. */
  readonly jailLog: string;
  readonly jail: string;
  /** The nftables table/set the action bans into (IPv6 set). */
  readonly table: string;
  readonly set6: string;
  remove(): void;
}

/** True when Debian's fail2ban (server, client and the nftables action) is installed. */
export function fail2banInstalled(): boolean {
  return existsSync('/usr/bin/fail2ban-server') && existsSync('/usr/bin/fail2ban-client')
    && existsSync(join(FAIL2BAN_ETC, 'action.d', 'nftables.conf'));
}

/**
 * Writes the config dir: one jail `jail` (maxretry 1, bantime 1 day, pyinotify)
 * following `jail.log` in the dir, banning with `action`.
 */
export function fail2banConfig(jail: string, action: Fail2banNftAction = 'nftables-allports'): Fail2banConfig {
  const dir = mkdtempSync(join(tmpdir(), 'f2b-bench-fail2ban-'));
  cpSync(FAIL2BAN_ETC, dir, { recursive: true });
  rmSync(join(dir, 'jail.d'), { recursive: true, force: true });
  rmSync(join(dir, 'jail.local'), { force: true });
  rmSync(join(dir, 'fail2ban.d'), { recursive: true, force: true });
  const paths = {
    socket: join(dir, 'fail2ban.sock'),
    pidfile: join(dir, 'fail2ban.pid'),
    dbfile: join(dir, 'fail2ban.sqlite3'),
    logfile: join(dir, 'fail2ban.log'),
    jailLog: join(dir, 'jail.log'),
  };
  writeFileSync(paths.jailLog, '');
  writeFileSync(join(dir, 'filter.d', 'f2btest.conf'), FAIL2BAN_FILTER);
  writeFileSync(join(dir, 'fail2ban.local'), [
    '[Definition]',
    'loglevel = NOTICE',
    `logtarget = ${paths.logfile}`,
    `socket = ${paths.socket}`,
    `pidfile = ${paths.pidfile}`,
    `dbfile = ${paths.dbfile}`,
    'dbpurgeage = 1d',
    'allowipv6 = auto',
    '',
  ].join('\n'));
  writeFileSync(join(dir, 'jail.local'), [
    '[DEFAULT]',
    'ignoreself = false',
    'ignoreip =',
    `banaction = ${action}`,
    `banaction_allports = ${action}`,
    '',
    `[${jail}]`,
    'enabled = true',
    'filter = f2btest',
    `logpath = ${paths.jailLog}`,
    'backend = pyinotify',
    'maxretry = 1',
    'findtime = 10m',
    'bantime = 1d',
    'port = 0:65535',
    '',
  ].join('\n'));
  return {
    dir, ...paths, jail, table: 'f2b-table', set6: `addr6-set-${jail}`,
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
