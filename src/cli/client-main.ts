#!/usr/bin/env node
/**
 * The `f2b-fw` program (package.json `bin`, the .deb's /usr/bin/f2b-fw, bundled
 * by packaging/bundle.sh as one CommonJS file, dist/bundle/f2b-fw.cjs). The
 * commands that only talk to the daemon (ping, status, ban…) are part of this
 * file and run without loading anything else: a client process pays Node's
 * start-up and one compiled file, not the ESM loader resolving and linking a
 * graph of chunks (issue 12). Every other command line (run, check-config,
 * --help, …) goes to src/cli/main.ts, loaded with import().
 */
import type { Command } from './command.js';
import { runCommand, startCli } from './run-command.js';
import { banCommand } from './commands/ban.js';
import { bannedCommand } from './commands/banned.js';
import { flushlogsCommand } from './commands/flushlogs.js';
import { getCommand } from './commands/get.js';
import { historyCommand } from './commands/history.js';
import { pingCommand } from './commands/ping.js';
import { reloadCommand } from './commands/reload.js';
import { setCommand } from './commands/set.js';
import { statusCommand } from './commands/status.js';
import { stopCommand } from './commands/stop.js';
import { unbanCommand } from './commands/unban.js';

/** The daemon's clients, run from this file. */
const CLIENT_COMMANDS: readonly Command[] = [
  pingCommand, statusCommand, banCommand, unbanCommand, bannedCommand, historyCommand,
  reloadCommand, stopCommand, flushlogsCommand, getCommand, setCommand,
];

/**
 * The module with every command, next to this one in both trees (dist/bundle,
 * dist/src/cli). A variable, so the bundler leaves the import() to run time
 * instead of copying the whole program into this file.
 */
const EVERY_COMMAND = './main.js';

const argv = process.argv.slice(2);
const client = CLIENT_COMMANDS.find((c) => c.name === argv[0]);
startCli(client
  ? (io) => runCommand(client.name, client, argv.slice(1), io)
  : async (io) => ((await import(EVERY_COMMAND)) as typeof import('./main.js')).main(argv, io));
