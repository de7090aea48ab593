/**
 * One INI file in fail2ban's dialect (Python's configparser as fail2ban sets
 * it up), parsed with the position of every key:
 * - `key = value` or `key: value` (first `=` or `:` separates), keys are
 *   lower-cased (configparser's default `optionxform`), section names are not;
 * - whole-line comments start with `#` or `;`; an inline comment starts with
 *   `;` preceded by whitespace (`#` inside a value is kept: regexes use it);
 * - a line indented deeper than its key continues the value (joined with
 *   `\n`; blank lines inside are kept, trailing ones dropped);
 * - `[DEFAULT]` is special; the same section or key twice in one file is an
 *   error, as in configparser's strict mode.
 */
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { LIMITS } from '../core/defaults.js';
import { ConfigError } from '../core/errors.js';

/** One `key = value` as written, before layering and interpolation. */
export interface IniEntry {
  readonly key: string;
  /** The value; continuation lines joined with `\n`. */
  readonly value: string;
  /** 1-based line of the key. */
  readonly line: number;
}

/** One `[section]` of one file. */
export interface IniSection {
  readonly name: string;
  readonly line: number;
  readonly entries: ReadonlyMap<string, IniEntry>;
}

/** One parsed file: `[DEFAULT]` apart, the other sections in file order. */
export interface IniFile {
  readonly file: string;
  readonly defaults: ReadonlyMap<string, IniEntry>;
  readonly sections: readonly IniSection[];
}

/** The name of configparser's default section. */
export const DEFAULT_SECTION = 'DEFAULT';

interface Building {
  name: string;
  line: number;
  entries: Map<string, { key: string; lines: string[]; line: number }>;
}

/** 1-based line number of offset `at` in `text`. */
function lineOf(text: string, at: number): number {
  let n = 1;
  for (let i = text.indexOf('\n'); i >= 0 && i < at; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

/** Cuts an inline `;` comment (one preceded by whitespace) off a line. */
function stripInlineComment(text: string): string {
  for (let i = 1; i < text.length; i++) {
    if (text[i] === ';' && /\s/.test(text[i - 1]!)) return text.slice(0, i);
  }
  return text;
}

/**
 * A file whose first content line is no `[section]` header (an include of
 * `/etc/shadow`, a key file, a binary) is not configuration: the error names
 * the file and line only, never their content, which goes to the reload
 * client and the log.
 */
function notConfiguration(file: string, line: number, why = 'this line is neither a comment nor a [section] header'): ConfigError {
  return new ConfigError({ file, line }, `not a configuration file: ${why} (its content is not shown)`);
}

/** Parses the text of one INI file; `file` is used in error positions. */
export function parseIni(text: string, file: string): IniFile {
  const nul = text.indexOf('\0');
  if (nul >= 0) throw notConfiguration(file, lineOf(text, nul), 'this line holds a NUL byte');
  const defaults: Building = { name: DEFAULT_SECTION, line: 0, entries: new Map() };
  const sections: Building[] = [];
  let current: Building | null = null;
  let option: { lines: string[] } | null = null;
  let keyIndent = 0;
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const raw = lines[i]!;
    const trimmed = raw.trim();
    if (trimmed.startsWith('#') || trimmed.startsWith(';')) continue;
    const value = stripInlineComment(raw).trim();
    if (value === '') {
      // A blank line inside a value is kept (configparser's empty_lines_in_values),
      // but not a line that only held a comment.
      if (trimmed === '' && option) option.lines.push('');
      continue;
    }
    const indent = raw.length - raw.trimStart().length;
    if (current && option && indent > keyIndent) {
      option.lines.push(value);
      continue;
    }
    const header = /^\[(.+)\]$/.exec(value);
    if (header) {
      const name = header[1]!;
      if (name === DEFAULT_SECTION) {
        current = defaults;
      } else {
        if (sections.some((s) => s.name === name)) {
          throw new ConfigError({ file, line: lineNo, section: name }, `section [${name}] appears twice in this file`);
        }
        current = { name, line: lineNo, entries: new Map() };
        sections.push(current);
      }
      option = null;
      continue;
    }
    if (!current) throw notConfiguration(file, lineNo);
    const kv = /^(.*?)\s*[=:]\s*(.*)$/.exec(value);
    if (!kv || kv[1] === '') {
      throw new ConfigError({ file, line: lineNo, section: current.name, value: raw },
        'not a `key = value` line, a [section] header or a comment (continuation lines must be indented)');
    }
    const key = kv[1]!.toLowerCase();
    if (current.entries.has(key)) {
      const first = current.entries.get(key)!.line;
      throw new ConfigError({ file, line: lineNo, section: current.name, key },
        `key set twice in this section (first on line ${first})`);
    }
    const entry = { key, lines: [kv[2]!], line: lineNo };
    current.entries.set(key, entry);
    option = entry;
    keyIndent = indent;
  }
  const finish = (b: Building): Map<string, IniEntry> => new Map([...b.entries].map(([k, e]) =>
    [k, { key: k, value: e.lines.join('\n').trimEnd(), line: e.line }]));
  return {
    file,
    defaults: finish(defaults),
    sections: sections.map((s) => ({ name: s.name, line: s.line, entries: finish(s) })),
  };
}

/**
 * The text of a configuration file, or `null` when it does not exist (or is
 * a directory). Only a regular file of at most LIMITS.configFileBytes is
 * read: a device (`/dev/zero`), FIFO or socket named by an include would
 * block or never end. Opened non-blocking so a FIFO cannot hang the open.
 */
function readConfigText(path: string): string | null {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EISDIR') return null;
    throw new ConfigError({ file: path }, `cannot read: ${(err as Error).message}`);
  }
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) return null;
    if (!st.isFile()) throw new ConfigError({ file: path }, 'not a regular file (a device, FIFO or socket): not read');
    if (st.size > LIMITS.configFileBytes) {
      throw new ConfigError({ file: path }, `${st.size} bytes: larger than the ${LIMITS.configFileBytes} bytes a configuration file may have, not read`);
    }
    const buf = Buffer.alloc(st.size);
    let got = 0;
    while (got < buf.length) {
      const n = readSync(fd, buf, got, buf.length - got, got);
      if (n === 0) break;
      got += n;
    }
    return buf.toString('utf8', 0, got);
  } finally {
    closeSync(fd);
  }
}

/** Reads and parses one file; `null` when it does not exist. */
export function readIni(path: string): IniFile | null {
  const text = readConfigText(path);
  return text === null ? null : parseIni(text, path);
}
