import { EXIT, type Command } from '../command.js';
import type { JailValue } from '../../daemon/api.js';
import { CLIENT_OPTIONS, CLIENT_OPTIONS_HELP, ask, printJson, usageError, wantsJson } from '../../control/cli.js';
import { formatValue } from '../../control/format.js';

/** `f2b-fw get JAIL KEY`: reads one jail setting from the running daemon. */
export const getCommand: Command = {
  name: 'get',
  help: [
    'Usage: f2b-fw get JAIL KEY [--json] [--socket PATH]',
    '',
    'KEY: bantime, findtime (seconds; bantime -1 = permanent), maxretry, ignoreip, logpath, banned.',
    'Lists are printed one item per line.',
    '',
    CLIENT_OPTIONS_HELP,
  ].join('\n'),
  options: CLIENT_OPTIONS,
  async run(args, io) {
    if (args.positionals.length !== 2) throw usageError('get', 'give JAIL and KEY');
    const [jail, key] = args.positionals as [string, string];
    const value = (await ask(args, 'get', { jail, key })) as JailValue;
    if (wantsJson(args)) printJson(io, { jail, key, value });
    else io.out(formatValue(value));
    return EXIT.ok;
  },
};
