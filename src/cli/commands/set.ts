import { EXIT, type Command } from '../command.js';
import type { JailValue } from '../../daemon/api.js';
import { CLIENT_OPTIONS, CLIENT_OPTIONS_HELP, ask, printJson, usageError, wantsJson } from '../../control/cli.js';
import { formatValue } from '../../control/format.js';

/** `f2b-fw set JAIL KEY VALUE…`: changes a jail setting at run time (fail2ban-client spellings). */
export const setCommand: Command = {
  name: 'set',
  help: [
    'Usage: f2b-fw set JAIL KEY VALUE... [--json] [--socket PATH]',
    '',
    'KEY and VALUE:',
    '  bantime DURATION      e.g. 600, 10m, 1h; -1 = permanent',
    '  findtime DURATION',
    '  maxretry N',
    '  addignoreip IP|PREFIX / delignoreip IP|PREFIX',
    '  banip IP...           same as `f2b-fw ban JAIL IP...`',
    '  unbanip IP...         same as `f2b-fw unban JAIL IP...`',
    'Changes last until the next reload or restart (the files are not written). Prints the new value.',
    '',
    CLIENT_OPTIONS_HELP,
  ].join('\n'),
  options: CLIENT_OPTIONS,
  async run(args, io) {
    const [jail, key, ...values] = args.positionals;
    if (jail === undefined || key === undefined || values.length === 0) throw usageError('set', 'give JAIL, KEY and VALUE');
    const value = (await ask(args, 'set', { jail, key, value: values.join(' ') })) as JailValue;
    if (wantsJson(args)) printJson(io, { jail, key, value });
    else io.out(formatValue(value));
    return EXIT.ok;
  },
};
