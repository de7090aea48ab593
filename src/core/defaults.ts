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
  /** More jail defaults as fail2ban has them: log backend, DNS use in filters, own addresses ignored. */
  backend: 'auto',
  usedns: 'no',
  ignoreself: true,
  /** Widest ban a jail makes or accepts (ipv4_prefix_floor / ipv6_prefix_floor): a /16 of IPv4, a /32 of IPv6 (one ISP's allocation). */
  ipv4PrefixFloor: 16,
  ipv6PrefixFloor: 32,
  /** escalate_prefix unless set: an IPv6 /64 (one subnet, what one customer gets at least), an IPv4 /24. */
  escalatePrefixV6: 64,
  escalatePrefixV4: 24,
  /** Addresses (or prefixes) with failures one jail keeps at once; beyond it the one that failed longest ago is forgotten. */
  failureTableSize: 100_000,
  /** `bantime.factor` when bantime.increment is on (fail2ban: 1). */
  bantimeFactor: 1,
  /** fail2ban's default formula caps the doubling at 2^20. */
  bantimeMaxShift: 20,
  /**
   * Where the daemon logs (fail2ban's logtarget; the recidive jail reads it), in addition to stdout.
   * A directory of its own so the systemd unit can grant it (`LogsDirectory=f2b-fw`) under ProtectSystem=strict.
   */
  logTarget: '/var/log/f2b-fw/f2b-fw.log',
  /** What `f2b-fw stop` does with the kernel's bans: keep them (they expire by timeout) or flush them. */
  onStop: 'keep',
  /** nftables table and family owned by f2b-fw. */
  table: 'f2b-fw',
  family: 'inet',
  /** Base chain priority, relative to `filter` (0): below it, so our drop comes first. */
  priority: -10,
  /** Hooks a jail attaches to unless `hooks` says otherwise. */
  hooks: ['input', 'forward'] as const,
  /** Verdict for banned traffic unless `blocktype`/`verdict` says otherwise. */
  verdict: 'drop',
  /** Elements per kernel set (`maxelem`), both backends; ipset's own default is 65,536. */
  maxelem: 1_048_576,
  /** Largest `maxelem` accepted (2^24: 16 M elements of a hash set are ~1.5 GB of kernel memory). */
  maxelemLimit: 16_777_216,
  /** How long a control client waits for the daemon's answer (ms); `reload` may take a while. */
  controlTimeoutMs: 30_000,
  /** A control connection that sends nothing for this long (ms) is closed by the daemon. */
  controlIdleMs: 10_000,
} as const;

/** Hard limits that protect the daemon from hostile input. */
export const LIMITS = {
  /** `Found` lines a jail writes one by one per second; more are told in one summary line (src/daemon/found-log.ts). */
  foundLinesPerSecond: 200,
  /** Longest log line kept (bytes of text); longer lines are cut, never split. */
  lineBytes: 4096,
  /**
   * A failure dated more than this (ms) after the clock is not believed: it takes the time
   * its line was read (clock skew between hosts is tolerated, a line dated 2096 is not).
   */
  futureDateSkewMs: 60_000,
  /**
   * A filter with regexes V8's linear engine cannot run matches in a worker thread: a line
   * still matching after this long (ms) is abandoned and the worker restarted. Generous, so a
   * busy machine's scheduling never abandons an honest line.
   */
  matchWatchdogMs: 250,
  /** Lines queued for such a worker at most; more are dropped (counted) while it is behind. */
  guardedQueueLines: 100_000,
  /** Longest regex match time budget per line, in ms, before the line is dropped. */
  matchBudgetMs: 50,
  /** Longest control request line (bytes); a longer one is answered with an error and the connection closed. */
  controlRequestBytes: 1_048_576,
  /** Longest control response line a client accepts (bytes): `banned` with 100,000 bans fits. */
  controlResponseBytes: 256 * 1_048_576,
  /** Control connections served at once for ordinary clients; more are answered `busy` and closed. */
  controlConnections: 32,
  /** Extra control connections only root gets, so the admin can still stop or inspect a daemon whose slots are taken. */
  controlRootReserve: 4,
  /** Longest duration any setting may hold (s): ten years; longer bans are written as permanent (-1). */
  durationSeconds: 315_576_000,
  /** Largest count any setting may hold (maxretry, escalation counts). */
  count: 1_000_000,
  /** Largest configuration file read (bytes; fail2ban's jail.conf is ~40 KB); larger ones are refused. */
  configFileBytes: 4 * 1_048_576,
  /**
   * Ban decisions waiting for their kernel and store transactions at most before the log
   * readers pause (backpressure: a flood waits in the log file, not in memory); reading
   * resumes once half of them are settled.
   */
  pendingBans: 20_000,
  /** Log output waiting for a slow stdout/stderr reader at most (bytes); more lines are dropped and counted. */
  consoleLogBytes: 16 * 1_048_576,
  /**
   * Log lines of one event-loop turn held back at most (bytes) before they are written at once:
   * they wait until the turn's kernel transaction is sent (src/core/log-turn.ts).
   */
  turnLogBytes: 64 * 1024,
} as const;

/** Timing and sizes of the log sources (src/sources); tests shorten the timings through `SourceTuning`. */
export const SOURCE_DEFAULTS = {
  /** Polling backend: how often each file is checked (ms); fail2ban's `sleeptime` is 1 s. */
  pollMs: 1000,
  /** With inotify, a slow re-check anyway (ms), for file systems that miss events. */
  safetyPollMs: 10_000,
  /** First retry delay for a failed source (ms); doubles on each failure. */
  retryMinMs: 1000,
  /** Longest retry delay for a failed source (ms). */
  retryMaxMs: 60_000,
  /** After a rotation by rename, the old file is still read this long (ms) for late writes. */
  rotationGraceMs: 5000,
  /** Bytes read from a log file per read call. */
  readChunkBytes: 1_048_576,
  /** Longest JSON line accepted from `journalctl -o json` (bytes); longer entries are dropped. */
  journalEntryBytes: 1_048_576,
} as const;

/**
 * Host-name lookups for `usedns = yes|warn` (src/daemon/dns-cache.ts). Lookups run in the
 * background; a name is usable once cached, so a hostile log with slow names never stalls a line.
 */
export const DNS_DEFAULTS = {
  /** How long a resolved name is used before it is looked up again (ms; the old answer serves meanwhile). */
  ttlMs: 300_000,
  /** How long a name that did not resolve (or timed out) stays unresolved before a new try (ms). */
  negativeTtlMs: 60_000,
  /** A lookup taking longer counts as failed (ms). */
  timeoutMs: 5_000,
  /** Names remembered at most; the oldest is forgotten first. */
  maxEntries: 10_000,
  /** Lookups running at once (getaddrinfo runs on libuv's 4-thread pool, shared with file reads). */
  maxInFlight: 2,
} as const;

/** The fleet (src/fleet/, docs/fleet.md): `[Fleet]` defaults and the reader's limits. */
export const FLEET_DEFAULTS = {
  /** Redis key prefix: keys `f2b-fw:ban:JAIL:ADDR`, stream `f2b-fw:stream`. */
  prefix: 'f2b-fw:',
  /** Local jail receiving shared bans of jails this host lacks (built in: all ports, the configured hooks). */
  jail: 'fleet',
  /** Widest prefixes accepted from other members. */
  maxPrefixV4: 24,
  maxPrefixV6: 48,
  /** The stream keeps about this many entries; a host away longer catches up from the keys. */
  streamMaxLen: 100_000,
  /** One XREAD waits at most this long (ms) for new entries. */
  blockMs: 5_000,
  /** Entries read (and applied in one transaction) per XREAD. */
  readCount: 1_000,
  /** Longest accepted field value (bytes); the reason is cut to `reasonChars`. */
  fieldBytes: 256,
  reasonChars: 200,
  /** A shared ban may not expire later than this from now (ms; 10 years); permanent bans are allowed. */
  maxTtlMs: 10 * 365 * 86_400_000,
  /** First and longest reconnect delay (ms). */
  reconnectMinMs: 250,
  reconnectMaxMs: 10_000,
  /** An unban not delivered within this long (ms) is dropped (the ban has likely expired anyway). */
  maxUnbanDelayMs: 86_400_000,
  /**
   * Deliveries in flight at once. Each waits for Redis' reply (with `appendfsync always`, for its
   * fsync), so throughput is about this many per round trip; Redis groups the fsyncs of a batch.
   */
  publishConcurrency: 32,
  /** Outbox channel of the publisher. */
  channel: 'fleet',
} as const;

/** The native mail reporter and its whois client (src/actions/mail*.ts, src/actions/whois.ts; docs/configuration.md "Actions"). */
export const MAIL_DEFAULTS = {
  /** How a mail leaves: `sendmail` (the local binary, as fail2ban's actions) or `smtp`. */
  transport: 'sendmail',
  /** The local sendmail binary (fail2ban's mailcmd). */
  sendmailPath: '/usr/sbin/sendmail',
  /** SMTP server and port when transport = smtp. */
  smtpHost: 'localhost',
  smtpPort: 25,
  /** Seconds one delivery (SMTP dialogue or sendmail run) may take. */
  timeoutSec: 30,
  /** fail2ban's sendmail-common [Init]: recipient, sender address and display name. */
  dest: 'root',
  sender: 'fail2ban',
  senderName: 'Fail2Ban',
  /** fail2ban's helpers-common grepmax: log lines in a -lines mail at most. */
  grepMax: 1000,
  /** Whois server asked first; its `refer:` line is followed once. */
  whoisServer: 'whois.iana.org',
  /** Seconds a whois question may take in all (each server). */
  whoisTimeoutSec: 10,
  /** Bytes of whois answer kept; the rest is cut and the cut marked. */
  whoisMaxBytes: 65_536,
} as const;
