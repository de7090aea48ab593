import { EXIT, type Command } from '../command.js';
import type { ReloadResult } from '../../daemon/api.js';
import { formatPlan, isEmptyPlan } from '../../fw/plan.js';
import { CLIENT_OPTIONS, CLIENT_OPTIONS_HELP, ask, printJson, usageError, wantsJson } from '../../control/cli.js';

/** `f2b-fw reload [JAIL]`: the daemon re-reads its configuration (like SIGHUP). */
export const reloadCommand: Command = {
  name: 'reload',
  help: [
    'Usage: f2b-fw reload [JAIL] [--json] [--socket PATH]',
    '',
    'The running daemon re-reads its configuration and applies the difference to the kernel in one',
    'transaction; jails that still exist keep their bans. With JAIL, only that jail is re-read.',
    'A configuration error leaves the daemon running unchanged (exit 3).',
    '',
    CLIENT_OPTIONS_HELP,
  ].join('\n'),
  options: CLIENT_OPTIONS,
  async run(args, io) {
    if (args.positionals.length > 1) throw usageError('reload', 'at most one JAIL');
    const jail = args.positionals[0];
    const result = (await ask(args, 'reload', jail === undefined ? {} : { jail })) as ReloadResult;
    if (wantsJson(args)) printJson(io, result);
    else {
      const list = (names: readonly string[]): string => (names.length === 0 ? '-' : names.join(', '));
      io.out(`Reloaded. Added: ${list(result.added)}; removed: ${list(result.removed)}; kept: ${list(result.kept)}`);
      if (!isEmptyPlan(result.plan)) io.out(formatPlan(result.plan));
    }
    return EXIT.ok;
  },
};
