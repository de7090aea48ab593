import { EXIT, type Command } from '../command.js';
import { CLIENT_OPTIONS, CLIENT_OPTIONS_HELP, ask, printJson, usageError, wantsJson } from '../../control/cli.js';

/** `f2b-fw stop`: the daemon stops cleanly (same as SIGTERM). */
export const stopCommand: Command = {
  name: 'stop',
  help: [
    'Usage: f2b-fw stop [--json] [--socket PATH]',
    '',
    'Stops the daemon cleanly, as SIGTERM does. Bans stay in the kernel with their timeouts running',
    'unless f2b-fw.conf says on_stop = flush. Under systemd prefer `systemctl stop f2b-fw`',
    '(systemd would otherwise restart it only on failure, so a stop here stays stopped).',
    '',
    CLIENT_OPTIONS_HELP,
  ].join('\n'),
  options: CLIENT_OPTIONS,
  async run(args, io) {
    if (args.positionals.length > 0) throw usageError('stop', 'takes no arguments');
    await ask(args, 'stop');
    if (wantsJson(args)) printJson(io, { stopping: true });
    else io.out('Shutdown successful');
    return EXIT.ok;
  },
};
