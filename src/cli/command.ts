/**
 * The shape of one `f2b-fw` sub-command. Each command lives in its own file
 * under src/cli/commands/ and is listed once (name, summary, lazy import) in
 * src/cli/commands/index.ts.
 */
import type { ParseArgsConfig } from 'node:util';

/** Option table in node:util parseArgs form. */
export type OptionTable = NonNullable<ParseArgsConfig['options']>;

/** Parsed arguments handed to a command. */
export interface CommandArgs {
  readonly values: Record<string, string | boolean | string[] | boolean[] | undefined>;
  readonly positionals: string[];
}

/** Where a command writes; passed in so tests can capture it. */
export interface CliIO {
  out(text: string): void;
  err(text: string): void;
  /** True when stdout is a terminal (readable output instead of JSON logs). */
  readonly isTTY: boolean;
}

/** One sub-command. */
export interface Command {
  /** The word after `f2b-fw`. */
  readonly name: string;
  /** Usage and description printed by `f2b-fw NAME --help`. */
  readonly help: string;
  /** Options beyond `--help`. */
  readonly options: OptionTable;
  /** Runs the command; resolves to the process exit code (see EXIT). */
  run(args: CommandArgs, io: CliIO): Promise<number>;
}

/** Exit codes scripts can rely on. */
export const EXIT = {
  ok: 0,
  /** The operation ran and reports failure (e.g. `banned IP` for an address no jail holds). */
  failure: 1,
  /** Bad command line. */
  usage: 2,
  /** Bad configuration. */
  config: 3,
  /** The kernel refused a change. */
  kernel: 4,
  /** Missing library, capability or kernel feature. */
  environment: 5,
  /** No daemon answers on the control socket. */
  notRunning: 6,
  /** Permission denied (control socket, files). */
  permission: 7,
} as const;

/** Options most commands share, declared once. */
export const COMMON_OPTIONS = {
  'config-dir': { type: 'string' },
  socket: { type: 'string' },
  db: { type: 'string' },
  json: { type: 'boolean' },
} as const satisfies OptionTable;
