/**
 * What holds a process's JavaScript heap, from a V8 heap snapshot
 * (`.heapsnapshot`, written by `--heapsnapshot-signal`): every node's self
 * size summed by constructor (DevTools' "Summary" view, shallow sizes), so a
 * benchmark can print the top holders as a table instead of a hand-written
 * note. Native memory outside the V8 heap (SQLite's page cache, Buffers'
 * backing stores, koffi) is not in the snapshot; the caller reports RSS next
 * to it.
 */
import { readFileSync } from 'node:fs';

/** One constructor (or node kind) and what its objects take. */
export interface HeapHolder {
  /** `Map`, `Object`, `(string)`, `(closure)`, `(array)`… as DevTools names them. */
  readonly name: string;
  readonly count: number;
  /** Sum of the objects' own sizes, bytes. */
  readonly bytes: number;
}

/** The part of the snapshot format this reader uses. */
interface Snapshot {
  readonly snapshot: { readonly meta: { readonly node_fields: string[]; readonly node_types: [string[], ...unknown[]] } };
  readonly nodes: number[];
  readonly strings: string[];
}

/** Node kinds grouped under one row, as DevTools does, instead of by name. */
const BY_KIND = new Set(['string', 'concatenated string', 'sliced string', 'code', 'closure', 'array', 'regexp', 'number', 'bigint', 'hidden', 'object shape', 'symbol']);

/** Sums a snapshot's nodes by constructor; the largest `top` first, the rest in one `(other)` row. */
export function heapHolders(file: string, top = 12): { holders: HeapHolder[]; totalBytes: number } {
  const s = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
  const fields = s.snapshot.meta.node_fields;
  const kinds = s.snapshot.meta.node_types[0];
  const width = fields.length;
  const typeAt = fields.indexOf('type');
  const nameAt = fields.indexOf('name');
  const sizeAt = fields.indexOf('self_size');
  const sums = new Map<string, { count: number; bytes: number }>();
  let totalBytes = 0;
  for (let i = 0; i < s.nodes.length; i += width) {
    const kind = kinds[s.nodes[i + typeAt]!]!;
    const bytes = s.nodes[i + sizeAt]!;
    if (bytes === 0) continue;
    const name = BY_KIND.has(kind) || kind === 'native' && !s.strings[s.nodes[i + nameAt]!] ? `(${kind})` : s.strings[s.nodes[i + nameAt]!]!;
    const e = sums.get(name) ?? { count: 0, bytes: 0 };
    e.count++;
    e.bytes += bytes;
    sums.set(name, e);
    totalBytes += bytes;
  }
  const all = [...sums].map(([name, e]) => ({ name, ...e })).sort((a, b) => b.bytes - a.bytes);
  const rest = all.slice(top);
  const holders = all.slice(0, top);
  if (rest.length > 0) holders.push({ name: `(other: ${rest.length} kinds)`, count: rest.reduce((n, h) => n + h.count, 0), bytes: rest.reduce((n, h) => n + h.bytes, 0) });
  return { holders, totalBytes };
}

/** The holders as a markdown table (MB with one decimal, share of the heap). */
export function holdersTable(holders: readonly HeapHolder[], totalBytes: number): string[] {
  const mb = (b: number): string => (b / 1_048_576).toFixed(1);
  return [
    '| Constructor / kind | Objects | Self size (MB) | Share |',
    '|---|---:|---:|---:|',
    ...holders.map((h) => `| ${h.name.replace(/\|/g, '\\|')} | ${h.count.toLocaleString('en-US')} | ${mb(h.bytes)} | ${Math.round((h.bytes / totalBytes) * 100)} % |`),
    `| **total** | | **${mb(totalBytes)}** | |`,
  ];
}
