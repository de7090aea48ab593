import { EXIT, type Command } from '../command.js';
import type { BanResult } from '../../daemon/api.js';
import { CLIENT_OPTIONS, CLIENT_OPTIONS_HELP, ask, printJson, usageError, wantsJson } from '../../control/cli.js';

/** `f2b-fw ban JAIL IP…`: bans addresses or prefixes now, with the jail's bantime. */
export const banCommand: Command = {
  name: 'ban',
  help: [
    'Usage: f2b-fw ban JAIL IP|PREFIX... [--json] [--socket PATH]',
    '',
    'Bans each address (or CIDR prefix) in JAIL with the jail\'s bantime, as if it had reached',
    'maxretry. An address already banned there gets its timeout refreshed.',
    'Same as fail2ban-client\'s `set JAIL banip IP`.',
    '',
    CLIENT_OPTIONS_HELP,
  ].join('\n'),
  options: CLIENT_OPTIONS,
  async run(args, io) {
    const [jail, ...addrs] = args.positionals;
    if (jail === undefined || addrs.length === 0) throw usageError('ban', 'give a JAIL and at least one IP');
    const result = (await ask(args, 'ban', { jail, addrs })) as BanResult;
    if (wantsJson(args)) printJson(io, result);
    else {
      for (const a of result.banned) io.out(`[${jail}] Ban ${a}`);
      for (const a of result.already) io.out(`[${jail}] ${a} already banned (timeout refreshed)`);
    }
    return EXIT.ok;
  },
};
