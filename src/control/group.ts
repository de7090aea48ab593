/** Resolves the optional control-socket group (name or number) to a gid. */
import { readFileSync } from 'node:fs';
import { EnvironmentError } from '../core/errors.js';

/**
 * Returns the gid of `group`: a number is taken as is, a name is looked up in
 * `groupFile` (the system's /etc/group unless a test passes another).
 */
export function resolveGroup(group: string | number, groupFile = '/etc/group'): number {
  if (typeof group === 'number') return group;
  if (/^\d+$/.test(group)) return Number(group);
  const text = readFileSync(groupFile, 'utf8');
  for (const line of text.split('\n')) {
    const [name, , gid] = line.split(':');
    if (name === group && gid !== undefined && /^\d+$/.test(gid)) return Number(gid);
  }
  throw new EnvironmentError(`control socket group ${JSON.stringify(group)} does not exist in ${groupFile}; create it (groupadd ${group}) or remove socketgroup from f2b-fw.conf`);
}
