import { EXIT, type Command } from '../command.js';
import type { BanRecord } from '../../daemon/api.js';
import { CLIENT_OPTIONS, CLIENT_OPTIONS_HELP, ask, printJson, usageError, wantsJson } from '../../control/cli.js';
import { formatBans } from '../../control/format.js';

/** `f2b-fw banned [IP]`: bans in force, or which jails hold one address and until when. */
export const bannedCommand: Command = {
  name: 'banned',
  help: [
    'Usage: f2b-fw banned [IP] [--json] [--socket PATH]',
    '',
    'Lists every ban in force with its jail, when it started and when it ends. With IP, only the',
    'bans that hold it (a prefix containing it counts); exits 1 if none does.',
    '',
    CLIENT_OPTIONS_HELP,
  ].join('\n'),
  options: CLIENT_OPTIONS,
  async run(args, io) {
    if (args.positionals.length > 1) throw usageError('banned', 'at most one IP');
    const addr = args.positionals[0];
    const bans = (await ask(args, 'banned', addr === undefined ? {} : { addr })) as BanRecord[];
    if (wantsJson(args)) printJson(io, bans);
    else io.out(addr !== undefined && bans.length === 0 ? `${addr} is not banned.` : formatBans(bans, Date.now()));
    return addr !== undefined && bans.length === 0 ? EXIT.failure : EXIT.ok;
  },
};
