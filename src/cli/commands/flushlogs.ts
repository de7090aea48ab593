import { EXIT, type Command } from '../command.js';
import type { FlushLogsResult } from '../../control/dispatch.js';
import { CLIENT_OPTIONS, CLIENT_OPTIONS_HELP, ask, printJson, usageError, wantsJson } from '../../control/cli.js';

/** `f2b-fw flushlogs`: the daemon reopens its log file (fail2ban-client's command; logrotate's postrotate). */
export const flushlogsCommand: Command = {
  name: 'flushlogs',
  help: [
    'Usage: f2b-fw flushlogs [--json] [--socket PATH]',
    '',
    'The running daemon closes its log file (logtarget in f2b-fw.conf) and opens it again at the',
    'same path, so that after logrotate moved the old file away the next lines go to the new one.',
    'The shipped /etc/logrotate.d/f2b-fw runs it as postrotate. Prints "rolled over" (as',
    'fail2ban-client does) and the file, or says that the daemon logs to stdout only.',
    '',
    CLIENT_OPTIONS_HELP,
  ].join('\n'),
  options: CLIENT_OPTIONS,
  async run(args, io) {
    if (args.positionals.length > 0) throw usageError('flushlogs', 'takes no arguments');
    const result = (await ask(args, 'flushlogs')) as FlushLogsResult;
    if (wantsJson(args)) printJson(io, result);
    else io.out(result.reopened === null ? 'rolled over (no log file: the daemon logs to stdout only)' : `rolled over: ${result.reopened}`);
    return EXIT.ok;
  },
};
