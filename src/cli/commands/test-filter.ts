/**
 * `f2b-fw test-filter LOG FILTER [IGNOREREGEX]`: what fail2ban-regex does.
 * LOG is a file, `-` (standard input) or a single line; FILTER a filter name
 * (filter.d of --config-dir, else the shipped rules), a filter file path or
 * an inline failregex, with arguments as in a jail (`sshd[mode=aggressive]`).
 */
import { configDirOf } from '../instance.js';
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { loadFilterDefinition } from '../../config/filter-load.js';
import type { RawSection, Setting } from '../../config/types.js';
import { systemClock } from '../../core/clock.js';
import { DEFAULTS, LIMITS, SOURCE_DEFAULTS } from '../../core/defaults.js';
import { F2bError } from '../../core/errors.js';
import { RULES_DIR } from '../../core/paths.js';
import { compileFilter } from '../../filter/filter.js';
import { USEDNS_VALUES, isUseDns } from '../../filter/tags.js';
import { Tallier } from '../../filter/tally.js';
import { LineSplitter } from '../../sources/line-splitter.js';
import { jsonReport, textReport } from '../../filter/tally-report.js';
import { COMMON_OPTIONS, EXIT, type Command } from '../command.js';

const HELP = `Usage: f2b-fw test-filter [OPTIONS] LOG FILTER [IGNOREREGEX]

Runs a filter over a log the way the daemon would and reports what it finds
(fail2ban-regex for f2b-fw).

  LOG          a log file, - for standard input, or a single log line
  FILTER       a filter name (filter.d/NAME.conf in --config-dir, else the shipped
               rules), a filter file path, or an inline failregex; arguments as
               in a jail: sshd[mode=aggressive], /etc/fail2ban/filter.d/postfix.conf[mode=more]
  IGNOREREGEX  an extra ignoreregex (optional)

Options:
  --config-dir DIR       configuration directory (default ${DEFAULTS.configDir})
  --datepattern PATTERN  date pattern (strftime form, {^LN-BEG}, {NONE}…) replacing the filter's
  --logtimezone TZ       zone of dates without one (UTC, UTC+0200, CET…)
  --usedns MODE          no (default), yes, warn or raw: raw reports host names as written
  --maxlines N           multi-line buffer size replacing the filter's
  --print-all-matched    list every matched line
  --print-all-missed     list every line no failregex matched
  --print-all-ignored    list every line an ignoreregex dropped
  --json                 one JSON document, with every hit's line number, address and time
  -h, --help             this help

Every line's date is detected (the date template counts cover all lines); the
failregexes run on the lines the daemon's literal prefilter lets through, which
are all the lines they can match. Exit status 0; 2 on a bad command line;
3 when the filter cannot be loaded or compiled.`;

class UsageError extends F2bError {
  constructor(message: string) { super('usage', message); }
}

/** Pushes every line of the file at `path` through `splitter`, in large chunks (one reused buffer), synchronously. */
function readFileInto(path: string, splitter: LineSplitter, onChunk: () => void): void {
  const fd = openSync(path, 'r');
  try {
    const chunk = Buffer.allocUnsafe(SOURCE_DEFAULTS.readChunkBytes);
    for (let n; (n = readSync(fd, chunk, 0, chunk.length, null)) > 0;) {
      onChunk();
      splitter.feed(chunk.subarray(0, n));
    }
    splitter.flush();
  } finally {
    closeSync(fd);
  }
}

/** Pushes standard input through `splitter`. */
async function readStdinInto(splitter: LineSplitter): Promise<void> {
  for await (const c of process.stdin) splitter.feed(c as Buffer);
  splitter.flush();
}

function filterNameOf(spec: string): string {
  const open = spec.indexOf('[');
  return (open < 0 ? spec : spec.slice(0, open)).trim();
}

/** Loads FILTER as a name, a path, or builds a definition from an inline regex. */
function loadFilter(configDir: string, spec: string): { def: RawSection; label: string } {
  const name = filterNameOf(spec);
  const isPath = (name.includes('/') || /\.(conf|local)$/.test(name)) && existsSync(name);
  const isName = /^[\w][\w.\-@]*$/.test(name)
    && [configDir, RULES_DIR].some((d) => existsSync(join(d, 'filter.d', `${name}.conf`)) || existsSync(join(d, 'filter.d', `${name}.local`)));
  if (isPath || isName) {
    const where = isPath ? 'file' : existsSync(join(configDir, 'filter.d', `${name}.conf`)) ? `filter.d of ${configDir}` : `shipped rules ${RULES_DIR}`;
    return { def: loadFilterDefinition(configDir, spec), label: `${spec} (${where})` };
  }
  return { def: inlineDef({ failregex: spec }), label: 'inline regex' };
}

function inlineDef(values: Record<string, string>): RawSection {
  const settings = new Map<string, Setting>();
  for (const [key, value] of Object.entries(values)) settings.set(key, { value, pos: { file: 'command line', key, value } });
  return { name: 'command-line', settings };
}

function withOverrides(def: RawSection, values: Record<string, string | undefined>): RawSection {
  const settings = new Map(def.settings);
  for (const [key, value] of Object.entries(values)) {
    if (value === undefined) continue;
    const prior = settings.get(key)?.value;
    const joined = key === 'ignoreregex' && prior ? `${prior}\n${value}` : value;
    settings.set(key, { value: joined, pos: { file: 'command line', key, value } });
  }
  return { name: def.name, settings };
}

/** `f2b-fw test-filter`. */
export const testFilterCommand: Command = {
  name: 'test-filter',
  help: HELP,
  options: {
    'config-dir': COMMON_OPTIONS['config-dir'],
    json: COMMON_OPTIONS.json,
    datepattern: { type: 'string' },
    logtimezone: { type: 'string' },
    usedns: { type: 'string' },
    maxlines: { type: 'string' },
    'print-all-matched': { type: 'boolean' },
    'print-all-missed': { type: 'boolean' },
    'print-all-ignored': { type: 'boolean' },
  },
  async run(args, io) {
    const [log, spec, ignore, ...extra] = args.positionals;
    if (log === undefined || spec === undefined || extra.length > 0) {
      io.err(`f2b-fw test-filter: expected LOG FILTER [IGNOREREGEX]\n\n${HELP}`);
      return EXIT.usage;
    }
    const v = args.values;
    const usedns = (v.usedns as string | undefined) ?? 'no';
    const maxlinesText = v.maxlines as string | undefined;
    if (!isUseDns(usedns)) throw new UsageError(`--usedns must be one of ${USEDNS_VALUES.join(', ')}, not ${JSON.stringify(usedns)}`);
    if (maxlinesText !== undefined && !/^\d+$/.test(maxlinesText)) throw new UsageError(`--maxlines must be a positive integer, not ${JSON.stringify(maxlinesText)}`);
    const configDir = configDirOf(args);
    const loaded = loadFilter(configDir, spec);
    const def = withOverrides(loaded.def, { ignoreregex: ignore, datepattern: v.datepattern as string | undefined });
    const filter = compileFilter(def, {
      clock: systemClock,
      logtimezone: v.logtimezone as string | undefined,
      usedns,
      ...(maxlinesText === undefined ? {} : { maxlines: Number(maxlinesText) }),
      rawHosts: usedns === 'raw',
      reportNofail: true,
      datesOfEveryLine: true,
    });
    const isFile = log !== '-' && existsSync(log) && statSync(log).isFile();
    const keep = { matched: Boolean(v['print-all-matched']), missed: Boolean(v['print-all-missed']), ignored: Boolean(v['print-all-ignored']) };
    const tallier = new Tallier(filter, systemClock, keep, isFile ? log : log === '-' ? 'stdin' : 'command line');
    // The daemon's splitter, so lines are cut (and never match) at the same byte.
    const splitter = new LineSplitter(LIMITS.lineBytes, (text, cut) => tallier.add(text, cut));
    if (log === '-') await readStdinInto(splitter);
    else if (isFile) readFileInto(log, splitter, () => tallier.chunkRead());
    else splitter.feed(Buffer.from(`${log}\n`));
    const tally = tallier.finish();
    const info = { filter: loaded.label, log: isFile ? log : log === '-' ? 'standard input' : 'single line' };
    io.out(v.json ? jsonReport(filter, tally, info)
      : textReport(filter, tally, info, { allMatched: keep.matched, allMissed: keep.missed, allIgnored: keep.ignored }));
    return EXIT.ok;
  },
};
