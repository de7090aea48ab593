/**
 * iptables/ipset helpers for namespace tests: a RunCommand that runs inside
 * a namespace, readers of the filter table and of ipsets there, and the
 * host-side check that nothing leaked out of the namespaces.
 */
import { execFile } from 'node:child_process';
import type { RunCommand } from '../../src/fw/iptables.js';
import { sh, type Netns } from './netns.js';

/** A RunCommand that runs `cmd` inside `ns` (`ip netns exec`). */
export function nsRun(ns: Netns): RunCommand {
  return (cmd, args, input) =>
    new Promise((resolve) => {
      const child = execFile('ip', ['netns', 'exec', ns.name, cmd, ...args], { encoding: 'utf8' }, (err, stdout, stderr) => {
        const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
        resolve({ code, stdout, stderr });
      });
      child.stdin?.on('error', () => undefined);
      child.stdin?.end(input ?? '');
    });
}

/** `iptables-save` output of a namespace without comment lines (one variant and family). */
export function saveIn(ns: Netns, variant: 'legacy' | 'nft', v6 = false): string {
  return ns.run(`${v6 ? 'ip6tables' : 'iptables'}-${variant}-save`, []).replace(/^#.*\n/gm, '');
}

/** The `*filter` section of a save, one line each, for comparisons. */
export function filterLines(save: string): string[] {
  const lines = save.split('\n');
  const start = lines.indexOf('*filter');
  if (start < 0) return [];
  const end = lines.indexOf('COMMIT', start);
  return lines.slice(start + 1, end);
}

/** Names of the ipsets in a namespace. */
export function ipsetNames(ns: Netns): string[] {
  return ns.run('ipset', ['list', '-n']).split('\n').filter(Boolean).sort();
}

/** Every iptables table (both variants, both families) and ipset of the host, without comments. */
export function hostIptablesState(): string {
  const parts: string[] = [];
  for (const cmd of ['iptables-legacy-save', 'iptables-nft-save', 'ip6tables-legacy-save', 'ip6tables-nft-save']) {
    parts.push(`${cmd}:${sh(cmd, []).replace(/^#.*\n?/gm, '')}`);
  }
  parts.push(`ipset:${sh('ipset', ['list', '-n'])}`);
  return parts.join('\n');
}

/** What `hostIptablesState()` returns on a host without any iptables table or ipset. */
export const EMPTY_HOST_STATE = ['iptables-legacy-save:', 'iptables-nft-save:', 'ip6tables-legacy-save:', 'ip6tables-nft-save:', 'ipset:'].join('\n');
