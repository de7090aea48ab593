/**
 * The desired iptables state of the ipset backend, as rule texts in exactly
 * the form `iptables-save` prints them (so desired and actual compare as
 * strings), plus layout validation done before any kernel change.
 *
 * Per jail and family: chain `f2b-<jail>` holding one `-m set --match-set`
 * rule per set (two for `reject`: tcp-reset for TCP, port-unreachable else),
 * jumped to from INPUT (`-m multiport --dports`) and FORWARD (pre-DNAT port:
 * `-m conntrack --ctorigdstport`), every rule commented `f2b-fw`.
 */
import { ConfigError, type ConfigPosition } from '../../core/errors.js';
import type { FirewallLayout, JailFirewall, PortRange } from '../layout.js';
import { jailNames, jailSets, type JailNames } from './naming.js';
import type { IpsetFamily } from '../../../native/ipset/messages.js';
import { RULE_COMMENT, type BuiltinChain, type ChainSpec, type FamilyRules, type JumpSpec, type RuleText } from '../iptables.js';

/** multiport takes at most 15 ports, a range counting as two. */
const MULTIPORT_SLOTS = 15;
const TAG = `-m comment --comment ${RULE_COMMENT}`;

function pos(jail: string, key: string, value: string): ConfigPosition {
  return { file: 'jail configuration', section: jail, key, value };
}

/**
 * Checks a layout can be expressed with iptables + ipset and that no two
 * jails share a kernel name; throws ConfigError naming the jail and value.
 */
export function validateLayout(layout: FirewallLayout): JailNames[] {
  const owners = new Map<string, string>();
  const all: JailNames[] = [];
  for (const j of layout.jails) {
    for (const h of j.hooks) {
      if (h !== 'input' && h !== 'forward') {
        throw new ConfigError(pos(j.name, 'hooks', h), 'the iptables-ipset backend attaches to input and forward only (the filter table has no prerouting hook); use the nftables backend for prerouting');
      }
    }
    if (j.ports !== 'all') {
      if (j.ports.length === 0) throw new ConfigError(pos(j.name, 'port', ''), 'no port given (use `all` for every port)');
      for (const r of j.ports) {
        if (!Number.isInteger(r.from) || !Number.isInteger(r.to) || r.from < 0 || r.to > 65535 || r.from > r.to) {
          throw new ConfigError(pos(j.name, 'port', portText(r)), 'not a port or port range within 0-65535');
        }
      }
      if (j.protocols.length === 0) throw new ConfigError(pos(j.name, 'protocol', ''), 'no protocol given');
    }
    const names = jailNames(j.name);
    for (const n of [names.chain, ...jailSets(names).map((s) => s.name)]) {
      const other = owners.get(n);
      if (other !== undefined && other !== j.name) {
        throw new ConfigError(pos(j.name, 'name', j.name), `kernel name ${n} is also used by jail ${JSON.stringify(other)}; rename one of them`);
      }
      owners.set(n, j.name);
    }
    all.push(names);
  }
  return all;
}

function portText(r: PortRange): string {
  return r.from === r.to ? String(r.from) : `${r.from}:${r.to}`;
}

function verdictTargets(jail: JailFirewall, family: IpsetFamily): { proto?: string; target: string }[] {
  if (jail.verdict === 'drop') return [{ target: 'DROP' }];
  const unreachable = family === 'inet' ? 'icmp-port-unreachable' : 'icmp6-port-unreachable';
  return [
    { proto: 'tcp', target: 'REJECT --reject-with tcp-reset' },
    { target: `REJECT --reject-with ${unreachable}` },
  ];
}

/** The rules inside a jail's chain for one family. */
export function chainRules(jail: JailFirewall, names: JailNames, family: IpsetFamily): RuleText[] {
  const sets = family === 'inet' ? [names.ip4, names.net4] : [names.ip6, names.net6];
  const rules: RuleText[] = [];
  for (const set of sets) {
    for (const v of verdictTargets(jail, family)) {
      rules.push(`${v.proto ? `-p ${v.proto} ` : ''}-m set --match-set ${set.name} src ${TAG} -j ${v.target}`);
    }
  }
  return rules;
}

/** Groups port ranges into multiport lists of at most 15 slots. */
function multiportGroups(ports: readonly PortRange[]): string[] {
  const groups: string[] = [];
  let current: string[] = [];
  let slots = 0;
  for (const r of ports) {
    const need = r.from === r.to ? 1 : 2;
    if (slots + need > MULTIPORT_SLOTS) {
      groups.push(current.join(','));
      current = [];
      slots = 0;
    }
    current.push(portText(r));
    slots += need;
  }
  if (current.length > 0) groups.push(current.join(','));
  return groups;
}

/** The jump rules of a jail (same text for IPv4 and IPv6). */
export function jumpRules(jail: JailFirewall, chain: string): JumpSpec[] {
  const jumps: JumpSpec[] = [];
  for (const hook of jail.hooks) {
    const from: BuiltinChain = hook === 'input' ? 'INPUT' : 'FORWARD';
    if (jail.ports === 'all') {
      jumps.push({ from, rule: `${TAG} -j ${chain}` });
      continue;
    }
    for (const proto of jail.protocols) {
      if (from === 'INPUT') {
        for (const g of multiportGroups(jail.ports)) jumps.push({ from, rule: `-p ${proto} -m multiport --dports ${g} ${TAG} -j ${chain}` });
      } else {
        for (const r of jail.ports) jumps.push({ from, rule: `-p ${proto} -m conntrack --ctorigdstport ${portText(r)} ${TAG} -j ${chain}` });
      }
    }
  }
  return jumps;
}

/** The whole desired filter-table content for one family. */
export function desiredRules(layout: FirewallLayout, family: IpsetFamily): FamilyRules {
  const names = validateLayout(layout);
  const chains: ChainSpec[] = [];
  const jumps: JumpSpec[] = [];
  layout.jails.forEach((jail, i) => {
    const n = names[i]!;
    chains.push({ name: n.chain, jail: jail.name, rules: chainRules(jail, n, family) });
    jumps.push(...jumpRules(jail, n.chain));
  });
  return { family, chains, jumps };
}
