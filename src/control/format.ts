/**
 * Human-readable renderings of daemon answers. `status` follows
 * fail2ban-client's tree layout (same labels, tab after the colon) so
 * scripts and habits built on fail2ban-client keep working.
 */
import type { BanRecord, DaemonStatus, HistoryEntry, JailStatus, JailValue } from '../daemon/api.js';
import type { FleetStatus } from '../fleet/member.js';
import { fleetOrigin } from '../fleet/protocol.js';

/** One labelled node of a status tree: a value or a group of children. */
interface TreeNode {
  readonly label: string;
  readonly value?: string;
  readonly children?: readonly TreeNode[];
}

function renderTree(title: string, nodes: readonly TreeNode[]): string {
  const out = [title];
  const walk = (list: readonly TreeNode[], indent: string): void => {
    list.forEach((node, i) => {
      const last = i === list.length - 1;
      const branch = last ? '`-' : '|-';
      out.push(node.children ? `${indent}${branch} ${node.label}` : `${indent}${branch} ${node.label}:\t${node.value ?? ''}`);
      if (node.children) walk(node.children, indent + (last ? '   ' : '|  '));
    });
  };
  walk(nodes, '');
  return out.join('\n');
}

/** The fleet subtree of `f2b-fw status`. */
function fleetNode(f: FleetStatus): TreeNode {
  const state = f.connected ? 'yes' : `no${f.downSince === null ? '' : `, since ${formatTime(f.downSince)}`}${f.lastError ? ` (${f.lastError})` : ''}`;
  return {
    label: 'Fleet',
    children: [
      { label: 'Redis', value: `${f.url} as ${f.node}` },
      { label: 'Connected', value: state },
      { label: 'Stream lag', value: `${(f.lagMs / 1000).toFixed(1)}s` },
      { label: 'Queued to send', value: String(f.queued) },
      { label: 'Sent', value: String(f.sent) },
      { label: 'Received', value: String(f.received) },
      { label: 'Refused', value: String(f.refused) },
    ],
  };
}

/** `f2b-fw status`: number of jails and their names (and the fleet, when configured). */
export function formatDaemonStatus(s: DaemonStatus): string {
  return renderTree('Status', [
    { label: 'Number of jail', value: String(s.jails.length) },
    { label: 'Jail list', value: s.jails.join(', ') },
    // fail2ban-client's two lines while all is well; a third when the database refuses writes.
    ...(s.store.state === 'ok' ? [] : [{ label: 'Database', value: storeState(s) }]),
    ...(s.fleet ? [fleetNode(s.fleet)] : []),
  ]);
}

/** Why the database is degraded and what is not written. */
function storeState(s: DaemonStatus): string {
  const h = s.store;
  return `degraded since ${formatTime(h.since)} (${h.reason ?? 'unknown'}); ${h.unwritten} ban(s) only in the kernel, written back once it takes writes`;
}

/** `f2b-fw status JAIL`: fail2ban-client's Filter / Actions tree. */
export function formatJailStatus(s: JailStatus): string {
  return renderTree(`Status for the jail: ${s.jail}`, [
    {
      label: 'Filter',
      children: [
        { label: 'Currently failed', value: String(s.currentlyFailed) },
        { label: 'Total failed', value: String(s.totalFailed) },
        { label: 'File list', value: s.files.join(' ') },
      ],
    },
    {
      label: 'Actions',
      children: [
        { label: 'Currently banned', value: String(s.currentlyBanned) },
        { label: 'Total banned', value: String(s.totalBanned) },
        { label: 'Banned IP list', value: s.bannedList.join(' ') },
        ...(s.actions ?? []).map((a) => ({ label: `Action ${a.action}`, value: `sent ${a.sent}, failed ${a.failed}, dropped ${a.dropped}, queued ${a.queued}` })),
      ],
    },
  ]);
}

/** A time as `2026-11-21 06:40:00 UTC`. */
export function formatTime(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** A duration in seconds as `1d 2h 3m 4s` (leading zero units left out). */
export function formatDuration(seconds: number): string {
  let rest = Math.max(0, Math.round(seconds));
  const parts: string[] = [];
  for (const [unit, size] of [['d', 86400], ['h', 3600], ['m', 60]] as const) {
    if (rest >= size || parts.length > 0) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
  }
  parts.push(`${rest}s`);
  return parts.join(' ');
}

function expiry(expiresAt: number | null, now: number): string {
  if (expiresAt === null) return 'permanent';
  return `until ${formatTime(expiresAt)} (${formatDuration((expiresAt - now) / 1000)} left)`;
}

/** Lays out rows as columns separated by two spaces. */
function columns(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]!))).join('  ')).join('\n');
}

/** The address column: a prefix ban made of several addresses says how many (`2001:db8:7::/64 (3 addresses)`). */
function addrCell(b: { readonly addr: string; readonly addresses?: number }): string {
  return b.addresses === undefined ? b.addr : `${b.addr} (${b.addresses} addresses)`;
}

/** Where a ban came from: its local jail, or `fleet:NODE` for one shared by another member. */
export function banOrigin(b: BanRecord): string {
  const o = fleetOrigin(b.reason);
  return o === null ? b.jail : `fleet:${o.node}`;
}

/** `f2b-fw banned [IP]`: one line per ban in force. */
export function formatBans(bans: readonly BanRecord[], now: number): string {
  if (bans.length === 0) return 'No bans in force.';
  return columns([
    ['JAIL', 'ADDRESS', 'ORIGIN', 'BANNED AT', 'COUNT', 'EXPIRES'],
    ...bans.map((b) => [b.jail, addrCell(b), banOrigin(b), formatTime(b.bannedAt), String(b.banCount), expiry(b.expiresAt, now)]),
  ]);
}

/** `f2b-fw history IP`: every recorded ban of the address, newest first. */
export function formatHistory(addr: string, entries: readonly HistoryEntry[], now: number): string {
  if (entries.length === 0) return `No bans recorded for ${addr}.`;
  return columns([
    ['JAIL', 'ADDRESS', 'BANNED AT', 'ENDED', 'REASON'],
    ...entries.map((e) => {
      let ended: string;
      if (e.endedAt !== null) ended = `unbanned ${formatTime(e.endedAt)}`;
      else if (e.expiresAt === null) ended = 'permanent';
      else if (e.expiresAt > now) ended = `in force until ${formatTime(e.expiresAt)}`;
      else ended = `expired ${formatTime(e.expiresAt)}`;
      return [e.jail, addrCell(e), formatTime(e.bannedAt), ended, e.reason];
    }),
  ]);
}

/** A `get`/`set` value: lists one item per line, a permanent bantime (null) as fail2ban's `-1`. */
export function formatValue(value: JailValue): string {
  if (value === null) return '-1';
  if (typeof value === 'string' || typeof value === 'number') return String(value);
  return value.join('\n');
}
