#!/usr/bin/env node
/**
 * `f2b-fw` with every command: dispatches to a sub-command (loaded lazily),
 * prints help. The bin (src/cli/client-main.ts) runs the client commands
 * itself and hands every other command line to main() here.
 */
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { COMMANDS } from './commands/index.js';
import { EXIT, type CliIO } from './command.js';
import { runCommand, startCli } from './run-command.js';

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
  return runCommand(name, await entry.load(), rest, io);
}

/**
 * Whether this module is the process's entry (`node dist/src/cli/main.js`, or a
 * symlink to it: Node runs the link's target), not imported by the bin
 * (client-main) or a test.
 */
function isEntry(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return import.meta.url === pathToFileURL(realpathSync(script)).href;
  } catch {
    return false;
  }
}

if (isEntry()) startCli((io) => main(process.argv.slice(2), io));
