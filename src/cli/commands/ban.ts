import { EXIT, type Command } from '../command.js';
import type { BanResult } from '../../daemon/api.js';
import { CLIENT_OPTIONS, CLIENT_OPTIONS_HELP, ask, printJson, usageError, wantsJson } from '../../control/cli.js';
import { formatTime } from '../../control/format.js';

/** `f2b-fw ban JAIL IP… [--force]`: bans addresses or prefixes now, with the jail's bantime. */
export const banCommand: Command = {
  name: 'ban',
  help: [
    'Usage: f2b-fw ban JAIL IP|PREFIX... [--force] [--json] [--socket PATH]',
    '       f2b-fw ban JAIL --file PATH|- [--force] [--json] [--socket PATH]',
    '',
    'Bans each address (or CIDR prefix) in JAIL with the jail\'s bantime, as if it had reached',
    'maxretry. An address already banned there has its ban (database and kernel timeout)',
    'extended to the bantime from now; a ban in force that lasts longer is kept as it is.',
    'Same as fail2ban-client\'s `set JAIL banip IP`.',
    '',
    'Refused, and nothing banned: 0.0.0.0/0, ::/0 and loopback (always), addresses the jail',
    'ignores (ignoreip, ignoreself) and this host\'s own addresses (unless --force).',
    '',
    'With --file, the addresses (and prefixes) come one per line from PATH, or stdin for `-`;',
    'text after `#` and blank lines are skipped. They are sent in chunks of up to 10,000, each',
    'checked address by address: a refused line is reported with its line number and the',
    'others are banned; the summary says how many were banned, already banned and refused',
    '(exit status 1 when any line was refused).',
    '',
    '  --file PATH|-      read the addresses from PATH (`-`: stdin) instead of the command line',
    '  --force            ban ignored addresses and this host\'s own (never /0 nor loopback)',
    CLIENT_OPTIONS_HELP,
  ].join('\n'),
  options: { ...CLIENT_OPTIONS, force: { type: 'boolean' }, file: { type: 'string' } },
  async run(args, io) {
    const [jail, ...addrs] = args.positionals;
    const file = args.values.file;
    if (typeof file === 'string') {
      if (jail === undefined || addrs.length > 0) throw usageError('ban', 'give a JAIL and either IPs or --file, not both');
      const { banFromFile } = await import('./ban-file.js');
      const summary = await banFromFile(args, jail, file, args.values.force === true);
      if (wantsJson(args)) printJson(io, summary);
      else {
        for (const r of summary.refused) io.err(`${file === '-' ? 'stdin' : file}:${r.line}: ${r.addr}: ${r.message}`);
        io.out(`[${jail}] ${summary.banned} banned, ${summary.already} already banned (${summary.extended} extended), ${summary.refused.length} refused, of ${summary.addresses} address(es)`);
      }
      return summary.refused.length === 0 ? EXIT.ok : EXIT.failure;
    }
    if (jail === undefined || addrs.length === 0) throw usageError('ban', 'give a JAIL and at least one IP');
    const result = (await ask(args, 'ban', { jail, addrs, force: args.values.force === true })) as BanResult;
    if (wantsJson(args)) printJson(io, result);
    else {
      for (const a of result.banned) io.out(`[${jail}] Ban ${a}`);
      for (const r of result.refreshed) {
        const until = r.expiresAt === null ? 'permanently' : `until ${formatTime(r.expiresAt)}`;
        io.out(`[${jail}] ${r.addr} already banned, ${r.extended ? `ban extended ${until}` : `kept: already banned ${until}`}`);
      }
    }
    return EXIT.ok;
  },
};
