/**
 * Man pages from the same text as `--help` and docs/: f2b-fw(8) from the command table
 * (src/cli/commands, each command's help verbatim) and f2b-fw.conf(5) from docs/configuration.md
 * (a small Markdown → roff translation: headings, paragraphs, lists, tables, code blocks, inline
 * code and bold). `node dist/packaging/man.js OUTDIR` writes f2b-fw.8 and f2b-fw.conf.5.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { COMMANDS } from '../src/cli/commands/index.js';
import { EXIT } from '../src/cli/command.js';
import { DEFAULTS } from '../src/core/defaults.js';
import { PACKAGE_ROOT } from '../src/core/paths.js';
import { packageVersion } from '../src/cli/commands/version.js';

/** Escapes text for roff: backslashes, and a leading dot or apostrophe that would start a request. */
export function roffText(text: string): string {
  return text.replace(/\\/g, '\\e').replace(/-/g, '\\-').replace(/^([.'])/gm, '\\&$1');
}

/** Inline Markdown (`code`, **bold**) of one already escaped line to roff fonts. */
function inline(text: string): string {
  return roffText(text)
    .replace(/\*\*([^*]+)\*\*/g, '\\fB$1\\fR')
    .replace(/`([^`]+)`/g, '\\fB$1\\fR');
}

function header(name: string, section: number, title: string): string[] {
  return [`.TH ${name.toUpperCase()} ${section} "" "f2b-fw ${packageVersion()}" "${title}"`];
}

/** f2b-fw(8): synopsis, every command with its `--help` text, exit codes, files. */
export async function commandsPage(): Promise<string> {
  const out = header('f2b-fw', 8, 'System Administration');
  out.push('.SH NAME', 'f2b-fw \\- intrusion prevention with bans in nftables sets or ipsets');
  out.push('.SH SYNOPSIS', '.B f2b-fw', '.I COMMAND', '.RI [ OPTIONS ...]');
  out.push('.SH DESCRIPTION', roffText('f2b-fw reads log files and the journal with fail2ban\'s filters and bans the addresses that fail too often, as elements of nftables sets (or ipsets) changed in-process. The daemon (f2b-fw run, the f2b-fw.service unit) and the client commands share one program; every command has --help, reproduced below.'));
  out.push('.SH COMMANDS');
  for (const c of COMMANDS) {
    const { help } = await c.load(); // the registry imports each command only on demand
    out.push(`.SS ${roffText(c.name)}`, inline(c.summary), '.PP', '.nf', roffText(help), '.fi');
  }
  out.push('.SH EXIT STATUS', '.TP');
  out.push(Object.entries(EXIT).map(([name, code]) => `.B ${code}\n${roffText(name)}`).join('\n.TP\n'));
  out.push('.SH FILES', '.TP', `.I ${DEFAULTS.configDir}`, 'jail.local, jail.d/, filter.d/, f2b-fw.conf; see f2b-fw.conf(5).',
    '.TP', '.I /usr/share/f2b-fw/rules', 'the shipped jail.conf and filters, used where the configuration directory has no file of that name.',
    '.TP', `.I ${roffText(DEFAULTS.dbFile)}`, 'the ban database.',
    '.TP', `.I ${roffText(DEFAULTS.socket)}`, 'the control socket.',
    '.TP', `.I ${roffText(DEFAULTS.logTarget)}`, 'the log file (logtarget), rotated by /etc/logrotate.d/f2b-fw.');
  out.push('.SH SEE ALSO', 'f2b-fw.conf(5), systemctl(1), nft(8), logrotate(8)');
  return `${out.join('\n')}\n`;
}

/** Markdown table row cells. */
function cells(row: string): string[] {
  return row.replace(/^\|/, '').replace(/\|$/, '').split(/(?<!\\)\|/).map((c) => c.trim().replace(/\\\|/g, '|'));
}

/** f2b-fw.conf(5): docs/configuration.md as roff. */
export function markdownPage(markdown: string, name: string, section: number, summary: string): string {
  const out = header(name, section, 'File Formats');
  out.push('.SH NAME', `${roffText(name)} \\- ${roffText(summary)}`);
  const lines = markdown.split('\n');
  let header_: string[] | null = null;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.startsWith('```')) {
      out.push('.PP', '.nf', '.RS 4');
      for (i++; i < lines.length && !lines[i]!.startsWith('```'); i++) out.push(roffText(lines[i]!));
      out.push('.RE', '.fi');
    } else if (/^# /.test(line)) {
      out.push('.SH DESCRIPTION');
    } else if (/^## /.test(line)) {
      out.push(`.SH ${inline(line.slice(3).toUpperCase())}`);
    } else if (/^###+ /.test(line)) {
      out.push(`.SS ${inline(line.replace(/^#+ /, ''))}`);
    } else if (line.startsWith('|')) {
      const row = cells(line);
      if (row.every((c) => /^:?-+:?$/.test(c))) continue;
      if (header_ === null) { header_ = row; continue; }
      out.push('.TP', inline(row[0]!));
      out.push(row.slice(1).map((c, k) => (header_!.length > 2 && k === 0 && row.length > 2 ? `${inline(header_![1]!)}: ${inline(c)}.` : inline(c))).join('\n.br\n'));
    } else if (/^\s*[-*] /.test(line)) {
      header_ = null;
      out.push(`.IP \\(bu ${line.search(/\S/) + 2}`, inline(line.replace(/^\s*[-*] /, '')));
    } else if (line.trim() === '') {
      header_ = null;
      out.push('.PP');
    } else {
      out.push(inline(line.trim()));
    }
  }
  out.push('.SH SEE ALSO', 'f2b-fw(8)');
  return `${out.join('\n').replace(/(\n\.PP)+/g, '\n.PP')}\n`;
}

/** Writes both pages into `dir`. */
export async function writeManPages(dir: string): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const conf = readFileSync(join(PACKAGE_ROOT, 'docs', 'configuration.md'), 'utf8');
  const pages: [string, string][] = [
    ['f2b-fw.8', await commandsPage()],
    ['f2b-fw.conf.5', markdownPage(conf, 'f2b-fw.conf', 5, 'f2b-fw jails, filters and daemon settings')],
  ];
  for (const [file, text] of pages) writeFileSync(join(dir, file), text);
  return pages.map(([file]) => join(dir, file));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const dir = process.argv[2];
  if (!dir) { process.stderr.write('usage: node dist/packaging/man.js OUTDIR\n'); process.exit(2); }
  for (const f of await writeManPages(dir)) process.stdout.write(`${f}\n`);
}
