import { EXIT, type Command } from '../command.js';
import type { DaemonStatus, JailStatus } from '../../daemon/api.js';
import { CLIENT_OPTIONS, CLIENT_OPTIONS_HELP, ask, printJson, usageError, wantsJson } from '../../control/cli.js';
import { formatDaemonStatus, formatJailStatus } from '../../control/format.js';

/** `f2b-fw status [JAIL]`: the daemon's jails, or one jail, in fail2ban-client's tree form. */
export const statusCommand: Command = {
  name: 'status',
  help: [
    'Usage: f2b-fw status [JAIL] [--json] [--socket PATH]',
    '',
    'Without JAIL: the number of jails and their names. With JAIL: currently/total failed,',
    'the files it reads, currently/total banned and the banned addresses (fail2ban-client\'s layout).',
    '',
    CLIENT_OPTIONS_HELP,
  ].join('\n'),
  options: CLIENT_OPTIONS,
  async run(args, io) {
    if (args.positionals.length > 1) throw usageError('status', 'at most one JAIL');
    const jail = args.positionals[0];
    if (jail === undefined) {
      const status = (await ask(args, 'status')) as DaemonStatus;
      if (wantsJson(args)) printJson(io, status);
      else io.out(formatDaemonStatus(status));
    } else {
      const status = (await ask(args, 'status', { jail })) as JailStatus;
      if (wantsJson(args)) printJson(io, status);
      else io.out(formatJailStatus(status));
    }
    return EXIT.ok;
  },
};
