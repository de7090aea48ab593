/**
 * Logging: pino JSON lines (to stdout for journald, or a file), readable text
 * on a terminal. Ban/unban/found lines carry `jail` and `addr` fields and a
 * message in fail2ban's wording (`[sshd] Ban 203.0.113.9`) so existing log
 * tooling (and the recidive jail) keeps working.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { pino, destination as pinoDestination, stdTimeFunctions, type Logger, type DestinationStream } from 'pino';
import { LIMITS } from './defaults.js';
import { TurnLines } from './log-turn.js';

export type { Logger } from 'pino';

/** Where and how to log. */
export interface LogOptions {
  /** pino level: fatal, error, warn, info, debug, trace (fail2ban's NOTICE → info, CRITICAL → fatal). */
  readonly level: string;
  /**
   * fail2ban's logtarget: `STDOUT`, `STDERR`, `SYSLOG`/`SYSTEMD-JOURNAL` (= stdout) or a file path.
   * A file gets the JSON lines in addition to stdout (journald keeps stdout; the recidive jail reads the file).
   */
  readonly target?: string;
  /** Human-readable lines instead of JSON (default: when the target is a terminal). */
  readonly pretty?: boolean;
}

const FAIL2BAN_LEVELS: Record<string, string> = {
  critical: 'fatal', error: 'error', warning: 'warn', notice: 'info', info: 'info', debug: 'debug',
};
const LEVEL_NAMES: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };

/** Turns one pino JSON line into `2026-01-01 12:00:00.000 INFO  [sshd] Ban 203.0.113.9`. */
export function prettyLine(json: string): string {
  try {
    const { time, level, msg, pid: _pid, hostname: _host, ...rest } = JSON.parse(json) as Record<string, unknown>;
    const when = new Date(Number(time)).toISOString().replace('T', ' ').replace('Z', '');
    const extra = Object.entries(rest).filter(([k]) => k !== 'jail' && k !== 'addr' && k !== 'event');
    const tail = extra.length ? ` ${extra.map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(' ')}` : '';
    return `${when} ${(LEVEL_NAMES[Number(level)] ?? String(level)).padEnd(5)} ${String(msg ?? '')}${tail}\n`;
  } catch {
    return json;
  }
}

const CONSOLE_TARGETS = new Set(['STDOUT', 'SYSLOG', 'SYSTEMD-JOURNAL', '']);

/**
 * Opens the log file for appending. Creates its directory (one level, as a
 * missing `/var/log/f2b-fw` outside systemd), never a whole tree: Node's
 * recursive mkdir can spin forever on a path under /proc.
 */
function openLogFile(target: string): ReturnType<typeof pinoDestination> {
  if (!existsSync(dirname(target))) mkdirSync(dirname(target), { mode: 0o750 });
  return pinoDestination({ dest: target, sync: true });
}

/** How each logger made by createLogger reopens its file (logrotate's postrotate: `f2b-fw flushlogs`). */
const reopeners = new WeakMap<Logger, () => string | null>();

/**
 * Closes and reopens the log file of a logger made by createLogger (after logrotate moved or
 * truncated it), so the next line goes to the file now at the path. Returns the path, or null
 * when the logger writes to stdout/stderr only. Throws when the file cannot be opened; the
 * logger then keeps writing to the previous file.
 */
export function reopenLogFile(log: Logger): string | null {
  return reopeners.get(log)?.() ?? null;
}

/** The turn buffer of each logger made by createLogger (logLater). */
const turns = new WeakMap<Logger, TurnLines>();

/** Turn buffers to empty when the process exits within a turn (an uncaught exception): one listener for all. */
const atExit = new Set<WeakRef<TurnLines>>();

function heldAtExit(turn: TurnLines): void {
  if (atExit.size === 0) process.once('exit', () => { for (const t of atExit) t.deref()?.flush(); });
  for (const t of atExit) if (t.deref() === undefined) atExit.delete(t);
  atExit.add(new WeakRef(turn));
}

/**
 * Runs `fn`, a call that logs through `log`, at the end of the event-loop turn, its lines
 * where it was called among the others (TurnLines.later): a line that may wait (a `Found`
 * line) costs nothing before the turn's kernel transaction. Other loggers run it now.
 */
export function logLater(log: Logger, fn: () => void): void {
  const turn = turns.get(log);
  if (turn === undefined) fn();
  else turn.later(fn);
}

/** Creates the process logger. */
export function createLogger(options: LogOptions): Logger {
  const target = options.target ?? 'STDOUT';
  const toStderr = target.toUpperCase() === 'STDERR';
  // Asynchronous: a slow reader of stdout (a full pipe) must never stall a ban; bounded, so
  // a flood of Ban lines into a pipe nobody reads cannot grow the daemon (the excess is dropped, counted).
  const consoleDest = pinoDestination({ fd: toStderr ? 2 : 1, sync: false, maxLength: LIMITS.consoleLogBytes });
  const pretty = options.pretty ?? Boolean(toStderr ? process.stderr.isTTY : process.stdout.isTTY);
  let file: ReturnType<typeof pinoDestination> | null = null;
  let fileError: string | null = null;
  const fileTarget = !toStderr && !CONSOLE_TARGETS.has(target.toUpperCase()) ? target : null;
  if (fileTarget !== null) {
    try {
      file = openLogFile(fileTarget);
    } catch (e) {
      // A read-only /var/log (systemd's ProtectSystem=strict) must not keep the daemon from running.
      fileError = (e as Error).message;
    }
  }
  const level = FAIL2BAN_LEVELS[options.level.toLowerCase()] ?? options.level.toLowerCase();
  // Written at the end of the turn (TurnLines), after the kernel transaction a burst's lines lead
  // to, each destination getting the turn's lines as few texts (consoleTexts), not one by one.
  const shape = pretty ? prettyLine : (line: string): string => line;
  const turn = new TurnLines((lines) => {
    for (const text of consoleTexts(lines, shape)) consoleDest.write(text);
    file?.write(lines.join(''));
  });
  const stream: DestinationStream = { write: (line: string) => turn.write(line) };
  const logger = pino({ level, base: { pid: process.pid }, timestamp: stdTimeFunctions.epochTime }, stream);
  turns.set(logger, turn);
  heldAtExit(turn);
  reopeners.set(logger, () => {
    if (fileTarget === null) return null;
    const next = openLogFile(fileTarget);
    turn.flush(); // the lines logged before the reopen go to the file they were logged to
    const old = file;
    file = next;
    old?.end();
    return fileTarget;
  });
  if (fileError) logger.warn({ event: 'logtarget', target, err: fileError }, `cannot write the log file ${target} (${fileError}); logging to stdout only`);
  countDropped(consoleDest, logger, () => turn.flush());
  return logger;
}

/**
 * Lines the console destination dropped (its buffer at LIMITS.consoleLogBytes) are told a
 * second later in one warning, written alone (`flush`: the logger's turn buffer). While the pipe
 * stays full that warning is dropped too: its count is then kept and told again a second
 * later, so every dropped line is counted once.
 */
function countDropped(dest: ReturnType<typeof pinoDestination>, log: Logger, flush: () => void): void {
  let unreported = 0;
  let scheduled = false;
  let reporting = false;
  let warningDropped = false;
  const later = (): void => {
    scheduled = true;
    setTimeout(report, 1000).unref();
  };
  const report = (): void => {
    scheduled = false;
    flush(); // the lines logged before go out (and are counted) as usual
    reporting = true;
    warningDropped = false;
    // Written now, alone: the destination drops synchronously, inside flush(); warningDropped tells.
    log.warn({ event: 'log-dropped', dropped: unreported }, `${unreported} log line(s) dropped: stdout is not read as fast as the daemon writes (${LIMITS.consoleLogBytes} bytes waiting)`);
    flush();
    reporting = false;
    if (warningDropped) later();
    else unreported = 0;
  };
  dest.on('drop', (data: string) => {
    if (reporting) {
      warningDropped = true;
      return;
    }
    unreported += lineCount(data);
    if (!scheduled) later();
  });
}

/** Console text per write at most (bytes): sonic-boom's maxWrite, what one write(2) of it takes. */
const CONSOLE_TEXT_BYTES = 16 * 1024;

/**
 * A turn's lines, shaped for the console, joined into texts of up to CONSOLE_TEXT_BYTES: a
 * storm's 10,000 `Ban` lines were 10,000 writes into stdout's buffer, where sonic-boom
 * measures the whole pending chunk (up to 16 KB) again for every line.
 */
function consoleTexts(lines: readonly string[], shape: (line: string) => string): string[] {
  const texts: string[] = [];
  let text = '';
  for (const line of lines) {
    text += shape(line);
    if (text.length >= CONSOLE_TEXT_BYTES) {
      texts.push(text);
      text = '';
    }
  }
  if (text !== '') texts.push(text);
  return texts;
}

/** The lines of a dropped chunk of log text. */
function lineCount(text: string): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

/** What happened to an address, in fail2ban's words. */
export type BanEvent = 'Found' | 'Ban' | 'Unban' | 'already banned';

/** The `event` field of each BanEvent. */
const EVENT_FIELD: Readonly<Record<BanEvent, string>> = { 'Found': 'found', 'Ban': 'ban', 'Unban': 'unban', 'already banned': 'already-banned' };

/** fail2ban's time format in its log lines: `2026-01-01 12:00:00`, local time. */
export function fail2banTime(ms: number): string {
  const d = new Date(ms);
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/**
 * Logs one ban/unban/found event: `{jail, addr, event}` fields and the message
 * `[jail] Event addr` (`[jail] Found addr - time` when `at` is given;
 * `[jail] Ban addr (fleet: NODE)` when `fields.origin` names the fleet member it came from); a prefix
 * ban made of several addresses (`fields.addresses`) says so: `[sshd] Ban 2001:db8:7::/64 (3 addresses)`.
 */
export function logBanEvent(log: Logger, event: BanEvent, jail: string, addr: string, fields: Record<string, unknown> = {}, at?: number): void {
  const origin = typeof fields.origin === 'string' ? ` (fleet: ${fields.origin})` : '';
  const made = event === 'Ban' && typeof fields.addresses === 'number' ? ` (${fields.addresses} addresses)` : '';
  const msg = event === 'already banned' ? `[${jail}] ${addr} already banned` : `[${jail}] ${event} ${addr}${made}${at === undefined ? '' : ` - ${fail2banTime(at)}`}${origin}`;
  log.info({ jail, addr, event: EVENT_FIELD[event], ...fields }, msg);
}
