/**
 * Where a process's CPU went, from a V8 CPU profile (`.cpuprofile`, written
 * by `node --cpu-prof` at exit): each sample's time charged to the function
 * it was in (self time, DevTools' "Bottom-up" view), mapped back through the
 * bundle's source maps to the source file, and summed by concern (the
 * source directory: src/filter, src/jail, native/netlink…, a package under
 * node_modules, Node's own internals, V8's garbage collector). Only samples
 * inside a window of CLOCK_MONOTONIC µs count, so a benchmark can charge one
 * storm and leave start-up out. Native code called from JavaScript (SQLite's
 * C, the kernel's work inside a syscall) is charged to its JavaScript caller.
 */
import { existsSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { fileURLToPath } from 'node:url';

/** The part of the `.cpuprofile` format this reader uses. */
interface Profile {
  readonly nodes: readonly { readonly id: number; readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number; readonly columnNumber: number } }[];
  readonly startTime: number;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** CPU time charged to one concern or function. */
export interface CpuShare {
  /** `src/filter`, `pino`, `(garbage collector)`, or for functions `name (file:line)`. */
  readonly name: string;
  readonly ms: number;
}

/** A profile's samples inside a window, summed two ways. */
export interface CpuBreakdown {
  /** By concern, largest first. */
  readonly concerns: readonly CpuShare[];
  /** By function, largest first (the `top` given). */
  readonly functions: readonly CpuShare[];
  /** All sampled time in the window except `(idle)`, ms. */
  readonly busyMs: number;
}

/** The concern of a source path: `src/<dir>` (src/bans by file: it holds the manager and the store), `native/<dir>`, a package, Node's internals. */
export function concernOf(source: string): string {
  const path = source.replace(/\\/g, '/');
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
  if (pkg) return pkg[1]!;
  if (path.startsWith('node:')) return 'Node internals';
  const own = /(?:^|\/)(src|native|bench|test)\/(.+)$/.exec(path);
  if (!own) return path;
  const parts = own[2]!.split('/');
  if (own[1] === 'src' && parts[0] === 'bans') return `src/bans/${parts[1]!.replace(/\.[jt]s$/, '')}`;
  return parts.length > 1 ? `${own[1]}/${parts[0]}` : `${own[1]}/${parts[0]!.replace(/\.[jt]s$/, '')}`;
}

/** V8's own entries keep their names; compiled regular expressions and native bindings (no source) are one row each. */
function unsourced(functionName: string): string {
  if (functionName.startsWith('(')) return functionName;
  return functionName.startsWith('RegExp: ') ? 'regular expressions (compiled)' : 'native bindings (writeString…)';
}

/** Source maps of the bundle's files, loaded once each (null: the file has none). */
class Sources {
  private readonly maps = new Map<string, SourceMap | null>();

  /** The original source file of a profiled function (its url when no map says otherwise). */
  fileOf(url: string, line: number, column: number): string {
    if (url === '') return '';
    if (!url.startsWith('file://')) return url;
    const file = fileURLToPath(url);
    let map = this.maps.get(file);
    if (map === undefined) {
      map = existsSync(`${file}.map`) ? new SourceMap(JSON.parse(readFileSync(`${file}.map`, 'utf8')) as ConstructorParameters<typeof SourceMap>[0]) : null;
      this.maps.set(file, map);
    }
    const entry = map?.findEntry(line, column) as { originalSource?: string } | undefined;
    return entry?.originalSource ?? file;
  }
}

/** Adds `ms` to `key` in `sums`. */
function add(sums: Map<string, number>, key: string, ms: number): void {
  sums.set(key, (sums.get(key) ?? 0) + ms);
}

/** Largest first, as shares. */
function ranked(sums: Map<string, number>, top: number): CpuShare[] {
  return [...sums].sort((a, b) => b[1] - a[1]).slice(0, top).map(([name, ms]) => ({ name, ms }));
}

/** The samples of `file` between `fromUs` and `toUs` (CLOCK_MONOTONIC µs, the clock V8 stamps samples with). */
export function cpuBreakdown(file: string, fromUs: number, toUs: number, top = 15): CpuBreakdown {
  const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const sources = new Sources();
  const label = new Map<number, { concern: string; fn: string }>();
  for (const n of p.nodes) {
    const { functionName, url, lineNumber, columnNumber } = n.callFrame;
    const source = sources.fileOf(url, lineNumber, columnNumber);
    const concern = source === '' ? unsourced(functionName) : concernOf(source);
    const where = source === '' ? '' : ` (${source.replace(/^.*?((?:src|native|node_modules)\/)/, '$1')})`;
    label.set(n.id, { concern, fn: `${functionName || '(anonymous)'}${where}` });
  }
  const concerns = new Map<string, number>();
  const functions = new Map<string, number>();
  let at = p.startTime;
  let busyMs = 0;
  for (let i = 0; i < p.samples.length; i++) {
    at += p.timeDeltas[i]!;
    // A sample's delta is the time since the previous sample: the time spent in what this one caught.
    if (at < fromUs || at > toUs) continue;
    const l = label.get(p.samples[i]!)!;
    if (l.concern === '(idle)') continue;
    const ms = p.timeDeltas[i]! / 1000;
    busyMs += ms;
    add(concerns, l.concern, ms);
    add(functions, l.fn, ms);
  }
  return { concerns: ranked(concerns, Number.POSITIVE_INFINITY), functions: ranked(functions, top), busyMs };
}
