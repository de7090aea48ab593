import { EXIT, type Command } from '../command.js';
import type { PingResult } from '../../control/dispatch.js';
import { CLIENT_OPTIONS, CLIENT_OPTIONS_HELP, ask, printJson, usageError, wantsJson } from '../../control/cli.js';

/** `f2b-fw ping`: is a daemon answering on the socket? */
export const pingCommand: Command = {
  name: 'ping',
  help: [
    'Usage: f2b-fw ping [--json] [--socket PATH]',
    '',
    'Prints "Server replied: pong" and exits 0 when the daemon answers; exits 6 when no daemon',
    'listens on the socket, 7 when you may not use it.',
    '',
    CLIENT_OPTIONS_HELP,
  ].join('\n'),
  options: CLIENT_OPTIONS,
  async run(args, io) {
    if (args.positionals.length > 0) throw usageError('ping', 'takes no arguments');
    const pong = (await ask(args, 'ping')) as PingResult;
    if (wantsJson(args)) printJson(io, pong);
    else io.out(`Server replied: pong (f2b-fw ${pong.version}, pid ${pong.pid})`);
    return EXIT.ok;
  },
};
