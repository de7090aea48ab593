#!/usr/bin/env node
/**
 * `f2b-fw` entry point: dispatches to a sub-command, prints help, maps typed
 * errors to exit codes.
 */
import { parseArgs } from 'node:util';
import { COMMANDS } from './commands/index.js';
import { EXIT, type CliIO, type Command } from './command.js';
import { ERROR_EXIT, F2bError } from '../core/errors.js';


/** A negative number (`-1`, `-1.5`, `-1d`): a value such as a permanent bantime, never an option. */
const NEGATIVE = /^-\d/;
const NEGATIVE_MARK = '\u0000';

/** Undoes the marking that kept negative numbers away from parseArgs' option parsing. */
function restoreNegatives<T extends { values: Record<string, unknown>; positionals: string[] }>(parsed: T): T {
  const unmark = (v: unknown): unknown => (typeof v === 'string' && v.startsWith(NEGATIVE_MARK) ? v.slice(1) : v);
  for (const [k, v] of Object.entries(parsed.values)) parsed.values[k] = Array.isArray(v) ? v.map(unmark) : unmark(v);
  parsed.positionals = parsed.positionals.map((p) => unmark(p) as string);
  return parsed;
}

function topHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  const lines = COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return ['Usage: f2b-fw COMMAND [OPTIONS]', '', 'Commands:', ...lines, '', 'Run `f2b-fw COMMAND --help` for a command\'s options.'].join('\n');
}

/** Runs one command line; returns the exit code. Exported for in-process tests. */
export async function main(argv: readonly string[], io: CliIO): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.out(topHelp());
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  if (name === '--version') return main(['version', ...rest], io);
  const entry = COMMANDS.find((c) => c.name === name);
  if (!entry) {
    io.err(`f2b-fw: unknown command ${JSON.stringify(name)}\n\n${topHelp()}`);
    return EXIT.usage;
  }
  const command: Command = await entry.load();
  let parsed;
  try {
    parsed = restoreNegatives(parseArgs({
      args: rest.map((a) => (NEGATIVE.test(a) ? `${NEGATIVE_MARK}${a}` : a)),
      options: { ...command.options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    }));
  } catch (e) {
    io.err(`f2b-fw ${name}: ${(e as Error).message}\n\n${command.help}`);
    return EXIT.usage;
  }
  if (parsed.values.help) {
    io.out(command.help);
    return EXIT.ok;
  }
  try {
    return await command.run(parsed, io);
  } catch (e) {
    if (e instanceof F2bError) {
      io.err(`f2b-fw ${name}: ${e.message}`);
      return ERROR_EXIT[e.code];
    }
    throw e;
  }
}

const isEntry = process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href;
/**
 * A reader that stops early (`f2b-fw status | head -1`) closes our stdout:
 * the rest of the output has nowhere to go, which is no error of ours. Exit
 * quietly with the command's code so far instead of an unhandled EPIPE stack.
 */
function quietOnClosedPipe(stream: NodeJS.WriteStream): void {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? EXIT.ok);
    throw e;
  });
}

if (isEntry || process.argv[1]?.endsWith('/f2b-fw')) {
  quietOnClosedPipe(process.stdout);
  quietOnClosedPipe(process.stderr);
  const io: CliIO = {
    out: (t) => process.stdout.write(t.endsWith('\n') ? t : `${t}\n`),
    err: (t) => process.stderr.write(t.endsWith('\n') ? t : `${t}\n`),
    isTTY: Boolean(process.stdout.isTTY),
  };
  main(process.argv.slice(2), io).then(
    (code) => { process.exitCode = code; },
    (e: unknown) => {
      io.err(`f2b-fw: internal error: ${(e as Error)?.stack ?? String(e)}`);
      process.exitCode = EXIT.failure;
    },
  );
}
