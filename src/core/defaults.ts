/**
 * Every default f2b-fw uses, declared once. Config loaders, the daemon and the
 * CLI read from here; nothing else spells a default value.
 */
export const DEFAULTS = {
  /** Directory holding jail.conf, jail.d/, filter.d/, f2b-fw.conf. */
  configDir: '/etc/f2b-fw',
  /** SQLite database with bans, history and read positions. */
  dbFile: '/var/lib/f2b-fw/f2b-fw.sqlite3',
  /** Control socket. */
  socket: '/run/f2b-fw/f2b-fw.sock',
  /** PID file. */
  pidFile: '/run/f2b-fw/f2b-fw.pid',
  /** History older than this (seconds) is purged from the store. */
  dbPurgeAge: 86400,
  /** pino log level. */
  logLevel: 'info',
  /** fail2ban's jail defaults. */
  bantime: 600,
  findtime: 600,
  maxretry: 5,
  /** nftables table and family owned by f2b-fw. */
  table: 'f2b-fw',
  family: 'inet',
  /** Base chain priority, relative to `filter` (0): below it, so our drop comes first. */
  priority: -10,
  /** Hooks a jail attaches to unless `hooks` says otherwise. */
  hooks: ['input', 'forward'] as const,
  /** Verdict for banned traffic unless `blocktype`/`verdict` says otherwise. */
  verdict: 'drop',
  /** ipset size for real blocklists (ipset's own default is 65,536). */
  ipsetMaxElem: 1_048_576,
} as const;

/** Hard limits that protect the daemon from hostile input. */
export const LIMITS = {
  /** Longest log line kept (bytes of text); longer lines are cut, never split. */
  lineBytes: 4096,
  /** Longest regex match time budget per line, in ms, before the line is dropped. */
  matchBudgetMs: 50,
} as const;
