/**
 * fail2ban's `port` value: numbers, ranges (`1000:2000`, `1000-2000`),
 * service names from /etc/services, lists of those, or `all`. Parsing is
 * pure; the services table is read once and passed in.
 */
import { readFileSync } from 'node:fs';
import { ConfigError, type ConfigPosition } from '../core/errors.js';
import type { PortRange } from '../fw/layout.js';

/** Where service names come from (Debian: package `netbase`). */
export const SERVICES_FILE = '/etc/services';

/** Service name → port, from an /etc/services-format text. */
export class ServiceTable {
  private readonly byName: ReadonlyMap<string, number>;
  /** The file the table was read from, for messages. */
  readonly source: string;

  constructor(text: string, source: string) {
    const map = new Map<string, number>();
    for (const raw of text.split('\n')) {
      const line = raw.replace(/#.*/, '').trim();
      if (line === '') continue;
      const [name, portProto, ...aliases] = line.split(/\s+/);
      const m = /^(\d+)\/\w+$/.exec(portProto ?? '');
      if (!name || !m) continue;
      const port = Number(m[1]);
      for (const n of [name, ...aliases]) if (!map.has(n.toLowerCase())) map.set(n.toLowerCase(), port);
    }
    this.byName = map;
    this.source = source;
  }

  /** Reads /etc/services (or `path`); a missing file gives an empty table whose lookups name the file. */
  static load(path: string = SERVICES_FILE): ServiceTable {
    let text = '';
    try {
      text = readFileSync(path, 'utf8');
    } catch {
      /* no services file: only numeric ports resolve; messages say where names are looked up */
    }
    return new ServiceTable(text, path);
  }

  /** The port of a service name or alias (case-insensitive), if known. */
  lookup(name: string): number | undefined {
    return this.byName.get(name.toLowerCase());
  }
}

const MAX_PORT = 65535;

/** True when `word` is written as a port number (decimal digits), in range or not. */
function numeric(word: string): boolean {
  return /^\d+$/.test(word);
}

/** A port number written in decimal, `min` … 65535 (0 only as a range start); throws ConfigError naming `pos` otherwise. */
export function parsePortNumber(word: string, pos: ConfigPosition, min = 1): number {
  const n = numeric(word) ? Number(word) : NaN;
  if (!(n >= min && n <= MAX_PORT)) throw new ConfigError(pos, `port ${word} is out of range (${min}-${MAX_PORT})`);
  return n;
}

/** Parses one port word: a number (0 only as a range start) or a service name. */
function portNumber(word: string, services: ServiceTable, pos: ConfigPosition, min = 1): number {
  if (numeric(word)) return parsePortNumber(word, pos, min);
  if (!/^[A-Za-z][A-Za-z0-9._+-]*$/.test(word)) throw new ConfigError(pos, `${JSON.stringify(word)} is neither a port number nor a service name`);
  const n = services.lookup(word);
  if (n === undefined) throw new ConfigError(pos, `unknown service name ${JSON.stringify(word)} (not in ${services.source})`);
  return n;
}

/** Parses one list item: a port, a service, `a:b` or numeric `a-b`. */
function portItem(item: string, services: ServiceTable, pos: ConfigPosition): PortRange {
  let parts: string[] | undefined;
  if (item.includes(':')) parts = item.split(':');
  else if (/^\d+-\d+$/.test(item)) parts = item.split('-');
  if (!parts) {
    const n = portNumber(item, services, pos);
    return { from: n, to: n };
  }
  if (parts.length !== 2 || parts[0] === '' || parts[1] === '') throw new ConfigError(pos, `bad port range ${JSON.stringify(item)} (write FROM:TO)`);
  const from = portNumber(parts[0] as string, services, pos, 0);
  const to = portNumber(parts[1] as string, services, pos);
  if (from > to) throw new ConfigError(pos, `bad port range ${JSON.stringify(item)}: ${from} is above ${to}`);
  return { from, to };
}

/**
 * Parses a `port` value. Items are separated by commas or spaces; `all`
 * (alone) means every port of every protocol. Ranges are sorted and merged.
 */
export function parsePorts(value: string, services: ServiceTable, pos: ConfigPosition): 'all' | PortRange[] {
  const items = value.split(/[\s,]+/).filter((s) => s !== '');
  if (items.length === 0) throw new ConfigError(pos, 'no port given (write a port, a range, a service name or `all`)');
  if (items.some((i) => i.toLowerCase() === 'all')) {
    if (items.length > 1) throw new ConfigError(pos, '`all` cannot be combined with other ports');
    return 'all';
  }
  const ranges = items.map((i) => portItem(i, services, pos)).sort((a, b) => a.from - b.from || a.to - b.to);
  const merged: PortRange[] = [];
  for (const r of ranges) {
    const last = merged[merged.length - 1];
    if (last && r.from <= last.to + 1) merged[merged.length - 1] = { from: last.from, to: Math.max(last.to, r.to) };
    else merged.push(r);
  }
  return merged;
}
