import { canonicalText } from '../../core/address.js';
import { EXIT, type Command } from '../command.js';
import type { UnbanResult } from '../../daemon/api.js';
import { CLIENT_OPTIONS, CLIENT_OPTIONS_HELP, ask, printJson, usageError, wantsJson } from '../../control/cli.js';

/** True for an address or CIDR prefix (what cannot be a jail name), by the one address parser. */
function looksLikeAddress(word: string): boolean {
  return canonicalText(word) !== null;
}

/** `f2b-fw unban [JAIL] IP…|--all`: lifts bans in one jail or in all of them. */
export const unbanCommand: Command = {
  name: 'unban',
  help: [
    'Usage: f2b-fw unban JAIL IP|PREFIX...   lift these bans in JAIL',
    '       f2b-fw unban JAIL --all          lift every ban of JAIL',
    '       f2b-fw unban IP|PREFIX...        lift these bans in every jail',
    '       f2b-fw unban --all               lift every ban of every jail',
    '',
    'Exits 1 when none of the addresses was banned.',
    '',
    '  --all              every ban (of JAIL, or of every jail)',
    CLIENT_OPTIONS_HELP,
  ].join('\n'),
  options: { ...CLIENT_OPTIONS, all: { type: 'boolean' } },
  async run(args, io) {
    const words = [...args.positionals];
    const jail = words.length > 0 && !looksLikeAddress(words[0]!) ? words.shift() : undefined;
    const all = args.values.all === true;
    if (all && words.length > 0) throw usageError('unban', 'give either addresses or --all, not both');
    if (!all && words.length === 0) throw usageError('unban', 'give at least one IP, or --all');
    const result = (await ask(args, 'unban', { ...(jail === undefined ? {} : { jail }), addrs: all ? 'all' : words })) as UnbanResult;
    if (wantsJson(args)) printJson(io, result);
    else {
      for (const u of result.unbanned) io.out(`[${u.jail}] Unban ${u.addr}`);
      for (const a of result.notBanned) {
        const held = (result.heldBy ?? []).filter((h) => h.addr === a);
        if (held.length === 0) io.err(`${a} is not banned${jail === undefined ? '' : ` in ${jail}`}`);
        for (const h of held) io.err(`${a} is not banned by itself: it is inside ${h.prefix}, banned in ${h.jail} (unban ${h.prefix} to lift it)`);
      }
    }
    return result.unbanned.length === 0 && result.notBanned.length > 0 ? EXIT.failure : EXIT.ok;
  },
};
