import { EXIT, type Command } from '../command.js';
import type { BanResult } from '../../daemon/api.js';
import { CLIENT_OPTIONS, CLIENT_OPTIONS_HELP, ask, printJson, usageError, wantsJson } from '../../control/cli.js';
import { formatTime } from '../../control/format.js';

/** `f2b-fw ban JAIL IP… [--force]`: bans addresses or prefixes now, with the jail's bantime. */
export const banCommand: Command = {
  name: 'ban',
  help: [
    'Usage: f2b-fw ban JAIL IP|PREFIX... [--force] [--json] [--socket PATH]',
    '',
    'Bans each address (or CIDR prefix) in JAIL with the jail\'s bantime, as if it had reached',
    'maxretry. An address already banned there has its ban (database and kernel timeout)',
    'extended to the bantime from now; a ban in force that lasts longer is kept as it is.',
    'Same as fail2ban-client\'s `set JAIL banip IP`.',
    '',
    'Refused, and nothing banned: 0.0.0.0/0, ::/0 and loopback (always), addresses the jail',
    'ignores (ignoreip, ignoreself) and this host\'s own addresses (unless --force).',
    '',
    '  --force            ban ignored addresses and this host\'s own (never /0 nor loopback)',
    CLIENT_OPTIONS_HELP,
  ].join('\n'),
  options: { ...CLIENT_OPTIONS, force: { type: 'boolean' } },
  async run(args, io) {
    const [jail, ...addrs] = args.positionals;
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
