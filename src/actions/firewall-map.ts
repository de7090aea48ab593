/**
 * A jail's firewall actions mapped onto our kernel backend: what fail2ban's `iptables-multiport`,
 * `nftables[type=allports]`, `ufw`, `route`… would have blocked is what the jail's rules block.
 * The jail's `port`, `protocol`, `blocktype` and `hooks` are replaced by the firewall actions'
 * values (arguments, [Init], `.local` overrides), each with the position it came from:
 * - `type = allports` (or an `-allports` file, or port `all`): every port;
 * - `port`: the first firewall action's; `protocol`: the union over the firewall actions;
 * - `blocktype`: DROP/blackhole/deny → drop, REJECT/unreachable/prohibit → reject
 *   (our own `verdict` key still wins);
 * - `chain = FORWARD` or `DOCKER-USER` (unless the jail sets `hooks`): the forward hook only;
 *   INPUT and anything else: the default hooks.
 */
import type { RawSection, Setting } from '../config/types.js';
import type { ClassifiedAction } from './classify.js';
import { staticCommand } from './tags.js';

/** One firewall action's values, resolved (static tags replaced). */
interface FirewallValues {
  readonly port?: Setting;
  readonly protocol?: Setting;
  readonly blocktype?: Setting;
  readonly chain?: Setting;
  readonly allports: boolean;
}

function value(a: ClassifiedAction, key: string): Setting | undefined {
  if (a.def) {
    const opt = a.def.options.get(key);
    if (!opt) return undefined;
    return { value: staticCommand(a.def, key, 'inet4'), pos: opt.pos };
  }
  const arg = a.ref.args.get(key);
  return arg === undefined ? undefined : { value: arg, pos: a.ref.pos };
}

function valuesOf(a: ClassifiedAction): FirewallValues {
  const type = value(a, 'type');
  const port = value(a, 'port');
  const allports = /-allports$/.test(a.ref.file) || type?.value.trim().toLowerCase() === 'allports'
    || port?.value.trim().toLowerCase() === 'all';
  return { port, protocol: value(a, 'protocol'), blocktype: value(a, 'blocktype'), chain: value(a, 'chain'), allports };
}

/** fail2ban's blocktype spellings → the two our backends know; undefined: leave the jail's. */
function blocktypeOf(s: Setting): Setting | undefined {
  const v = s.value.trim().toLowerCase();
  if (/^(drop|blackhole|deny)\b/.test(v)) return { value: 'DROP', pos: s.pos };
  if (/^(reject|unreachable|prohibit)\b/.test(v)) return { value: 'REJECT', pos: s.pos };
  return undefined;
}

/** The jail with its firewall actions' port/protocol/blocktype/hooks; unchanged without firewall actions. */
export function applyFirewallActions(jail: RawSection, actions: readonly ClassifiedAction[]): RawSection {
  const fw = actions.filter((a) => a.kind === 'firewall').map(valuesOf);
  if (fw.length === 0) return jail;
  const settings = new Map(jail.settings);
  const allports = fw.find((f) => f.allports);
  const port = fw.find((f) => f.port)?.port;
  if (allports) settings.set('port', { value: 'all', pos: (allports.port ?? allports.protocol ?? port ?? jail.settings.get('action'))!.pos });
  else if (port) settings.set('port', port);
  const protocols = fw.map((f) => f.protocol).filter((p): p is Setting => p !== undefined);
  if (protocols.length > 0) {
    const words = [...new Set(protocols.flatMap((p) => p.value.split(/[\s,]+/).filter((w) => w !== '')))];
    settings.set('protocol', { value: words.join(','), pos: protocols[0]!.pos });
  }
  const block = fw.map((f) => f.blocktype && blocktypeOf(f.blocktype)).find((b) => b !== undefined);
  if (block) settings.set('blocktype', block);
  const chain = fw.find((f) => f.chain)?.chain;
  if (chain && jail.settings.get('hooks')?.pos.section !== jail.name && /^(forward|docker-user)$/i.test(chain.value.trim())) {
    settings.set('hooks', { value: 'forward', pos: chain.pos });
  }
  return { name: jail.name, settings };
}
