/**
 * A real f2b-fw daemon in the test's own process: bootDaemon on a temp
 * config dir with its own database, a clock the test moves and the null
 * backend (a dry run: store in memory, the null driver's `dry-run-block` and
 * `dry-run-release` lines instead of Ban/Unban), or a driver the test
 * passes. Log lines are collected as JSON, and
 * `waitLog` resolves on the daemon's own log line (no polling, no sleeps).
 */
import { join } from 'node:path';
import { pino } from 'pino';
import type { Logger } from '../../src/core/log.js';
import { bootDaemon } from '../../src/daemon/boot.js';
import type { Daemon } from '../../src/daemon/daemon.js';
import { NullDriver } from '../../src/fw/null.js';
import type { FirewallDriver } from '../../src/fw/driver.js';
import { DEFAULTS } from '../../src/core/defaults.js';
import { loadDaemonSettings } from '../../src/config/daemon-conf.js';
import type { Clock } from '../../src/core/clock.js';
import { tempConfigDir, type TempConfigDir } from './config-files.js';
import { TEST_FILTER } from './daemon-harness.js';

/** One JSON log line. */
export type LogLine = Record<string, unknown> & { readonly msg: string };

/** What `startInProcess` gives the test. */
export interface InProcessDaemon {
  readonly cfg: TempConfigDir;
  readonly daemon: Daemon;
  readonly driver: FirewallDriver;
  readonly lines: LogLine[];
  /** Moves the injected clock. */
  advance(ms: number): void;
  /** True once a client asked the daemon to stop. */
  stopRequested(): boolean;
  /** Resolves with the first line (already logged or to come) matching `pred`; rejects after timeoutMs. */
  waitLog(pred: (l: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  /** How many lines match `pred`. */
  count(pred: (l: LogLine) => boolean): number;
  close(): Promise<void>;
}

/** Options: a driver (default a NullDriver on the test clock) and f2b-fw.conf lines. */
export interface InProcessOptions {
  readonly driver?: (clock: Clock, log: Logger) => FirewallDriver;
  readonly daemonConf?: string;
}

/** Starts a daemon whose jail.local is `jails(dir)` (dir: the temp config dir, for log paths). */
export async function startInProcess(jails: (dir: string) => string, options: InProcessOptions = {}): Promise<InProcessDaemon> {
  const cfg = tempConfigDir({ 'filter.d/f2btest.conf': TEST_FILTER, 'f2b-fw.conf': `[Definition]\n${options.daemonConf ?? ''}` });
  cfg.write('jail.local', jails(cfg.dir));
  let now = Date.now();
  const clock: Clock = { now: () => now };
  const lines: LogLine[] = [];
  const waiters: { pred: (l: LogLine) => boolean; resolve(l: LogLine): void }[] = [];
  const log = pino({ level: 'debug' }, {
    write: (text: string) => {
      const line = JSON.parse(text) as LogLine;
      lines.push(line);
      for (const w of [...waiters]) {
        if (w.pred(line)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(line);
        }
      }
    },
  });
  const driver = options.driver?.(clock, log) ?? new NullDriver(clock, log);
  let stopRequested = false;
  let daemon: Daemon;
  try {
    daemon = await bootDaemon(
      { configDir: cfg.dir, dbFile: join(cfg.dir, 'db.sqlite3'), settings: loadDaemonSettings(cfg.dir), table: DEFAULTS.table, rulesetEvents: false },
      { clock, log, notifier: { send: () => undefined, watchdogMs: null }, ownAddresses: [], openDriver: async () => driver, requestStop: () => { stopRequested = true; } },
    );
  } catch (e) {
    cfg.remove();
    throw e;
  }
  return {
    cfg, daemon, driver, lines,
    advance: (ms) => { now += ms; },
    stopRequested: () => stopRequested,
    waitLog: (pred, timeoutMs = 10_000) => {
      const seen = lines.find(pred);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no such log line within ${timeoutMs} ms; last lines:\n${lines.slice(-10).map((l) => l.msg).join('\n')}`)), timeoutMs);
        waiters.push({ pred, resolve: (l) => { clearTimeout(timer); resolve(l); } });
      });
    },
    count: (pred) => lines.filter(pred).length,
    async close() {
      await daemon.shutdown();
      cfg.remove();
    },
  };
}
