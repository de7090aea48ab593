/**
 * What every `f2b-fw` entry shares once it knows the command: parsing the
 * command's options, `--help`, typed errors to exit codes (runCommand), and
 * the process around it: stdout/stderr, a closed pipe, the exit code
 * (startCli). src/cli/main.ts (every command) and src/cli/client-main.ts (the
 * bin: client commands without the ESM loader) both run through here.
 */
import { parseArgs } from 'node:util';
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

/** Runs `command` (the sub-command `name`) on its arguments `rest`; returns the exit code. */
export async function runCommand(name: string, command: Command, rest: readonly string[], io: CliIO): Promise<number> {
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

/** Runs one command line as this process: the process's stdout/stderr as its CliIO, its result as the exit code. */
export function startCli(run: (io: CliIO) => Promise<number>): void {
  quietOnClosedPipe(process.stdout);
  quietOnClosedPipe(process.stderr);
  const io: CliIO = {
    out: (t) => process.stdout.write(t.endsWith('\n') ? t : `${t}\n`),
    err: (t) => process.stderr.write(t.endsWith('\n') ? t : `${t}\n`),
    isTTY: Boolean(process.stdout.isTTY),
  };
  run(io).then(
    (code) => { process.exitCode = code; },
    (e: unknown) => {
      io.err(`f2b-fw: internal error: ${(e as Error)?.stack ?? String(e)}`);
      process.exitCode = EXIT.failure;
    },
  );
}
