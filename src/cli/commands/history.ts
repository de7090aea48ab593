import { EXIT, type Command } from '../command.js';
import type { HistoryEntry } from '../../daemon/api.js';
import { CLIENT_OPTIONS, CLIENT_OPTIONS_HELP, ask, printJson, usageError, wantsJson } from '../../control/cli.js';
import { formatHistory } from '../../control/format.js';

/** `f2b-fw history IP`: every recorded ban of an address, newest first. */
export const historyCommand: Command = {
  name: 'history',
  help: [
    'Usage: f2b-fw history IP [--json] [--socket PATH]',
    '',
    'Every ban of IP the store remembers (kept for dbpurgeage), newest first: jail, start, how it',
    'ended, and why.',
    '',
    CLIENT_OPTIONS_HELP,
  ].join('\n'),
  options: CLIENT_OPTIONS,
  async run(args, io) {
    const [addr, ...extra] = args.positionals;
    if (addr === undefined || extra.length > 0) throw usageError('history', 'give exactly one IP');
    const entries = (await ask(args, 'history', { addr })) as HistoryEntry[];
    if (wantsJson(args)) printJson(io, entries);
    else io.out(formatHistory(addr, entries, Date.now()));
    return EXIT.ok;
  },
};
