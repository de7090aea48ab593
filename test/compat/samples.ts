/**
 * fail2ban compatibility measure: Debian's fail2ban package (downloaded with
 * `apt-get download`, unpacked with `dpkg -x`, never installed) ships its
 * filters and sample logs annotated with `# failJSON: {...}` (match, host,
 * time, and the captured fields such as `user` and `attempts`). Each
 * filter.d file is loaded with our loader and compiled with our engine, every
 * annotated line is fed and checked, in the order and with the variants
 * (`# filterOptions:`) fail2ban's own test suite uses.
 * fail2ban's tests run at 2005-08-14 12:00 CEST in Europe/Zurich time.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadFilterDefinition } from '../../src/config/filter-load.js';
import { compileFilter, type CompiledFilter } from '../../src/filter/filter.js';

/** fail2ban's TEST_NOW (s). */
export const TEST_NOW = 1124013600;

/** Where the unpacked package keeps what we need; `root` is the temporary directory to remove. */
export interface Fail2banTree { readonly root: string; readonly configDir: string; readonly logsDir: string; readonly version: string }

/** Removes the temporary directory of an unpacked package. */
export function removeFail2ban(tree: Fail2banTree): void {
  rmSync(tree.root, { recursive: true, force: true });
}

/** Downloads and unpacks Debian's fail2ban, or returns the reason it could not. */
export function fetchFail2ban(): Fail2banTree | string {
  const dir = mkdtempSync(join(tmpdir(), 'f2b-compat-'));
  try {
    execFileSync('apt-get', ['download', '-q', 'fail2ban'], { cwd: dir, stdio: 'pipe' });
    const deb = readdirSync(dir).find((f) => f.endsWith('.deb'));
    if (deb === undefined) throw new Error('apt-get download fail2ban produced no .deb');
    execFileSync('dpkg', ['-x', deb, 'x'], { cwd: dir, stdio: 'pipe' });
    const base = join(dir, 'x/usr/lib/python3/dist-packages/fail2ban/tests/files/logs');
    if (!existsSync(base)) throw new Error('the fail2ban package has no tests/files/logs');
    return { root: dir, configDir: join(dir, 'x/etc/fail2ban'), logsDir: base, version: deb.replace(/^fail2ban_|_all\.deb$/g, '') };
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    return `fail2ban package unavailable: ${(e as Error).message.split('\n')[0]}`;
  }
}

/** One failed check. */
export interface CompatFailure { readonly filter: string; readonly line: number; readonly text: string; readonly reason: string }

/** Result for one filter file. */
export interface FilterCompat { readonly filter: string; checks: number; passed: number; readonly failures: CompatFailure[] }

type Opts = Record<string, string>;
interface Variant { readonly key: string; readonly opts: Opts; readonly filter: CompiledFilter | string }

/** Evaluates the simple `constraint`/`test.condition` expressions the sample files use. */
function holds(expr: string, name: string, opts: Opts): boolean | null {
  const m = /^\s*(name|opts\.get\('(\w+)'\))\s*(==|!=)\s*'([^']*)'\s*$/.exec(expr);
  if (!m) return null;
  const value = m[1] === 'name' ? name : opts[m[2]!];
  return m[3] === '==' ? value === m[4] : value !== m[4];
}

function localTime(text: string): number {
  const m = /^(\d{4})-(\d\d?)-(\d\d?)T(\d\d?):(\d\d):(\d\d)(?:\.(\d+))?$/.exec(text)!;
  const ms = m[7] === undefined ? 0 : Math.round(Number(`0.${m[7]}`) * 1000);
  return new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]), ms).getTime();
}

function compileVariant(tree: Fail2banTree, name: string, opts: Opts): CompiledFilter | string {
  const args = Object.entries(opts).filter(([k]) => !k.startsWith('test.')).map(([k, v]) => `${k}="${v}"`);
  const spec = args.length ? `${name}[${args.join(', ')}]` : name;
  try {
    const def = loadFilterDefinition(tree.configDir, spec);
    return compileFilter(def, { clock: { now: () => TEST_NOW * 1000 }, rawHosts: true, usedns: 'yes', acceptFutureDates: true });
  } catch (e) {
    return `cannot load: ${(e as Error).message.split('\n')[0]}`;
  }
}

/** Checks one filter against its sample log(s). */
export function checkFilter(tree: Fail2banTree, name: string): FilterCompat {
  const result: FilterCompat = { filter: name, checks: 0, passed: 0, failures: [] };
  const cache = new Map<string, CompiledFilter | string>();
  const variant = (opts: Opts): Variant => {
    const key = JSON.stringify(Object.entries(opts).filter(([k]) => !k.startsWith('test.')).sort());
    if (!cache.has(key)) cache.set(key, compileVariant(tree, name, opts));
    return { key, opts, filter: cache.get(key)! };
  };
  const files = [name];
  let common: Opts = {};
  for (let f = 0; f < files.length; f++) {
    const lines = readFileSync(join(tree.logsDir, files[f]!), 'utf8').split('\n');
    let variants: Variant[] = [variant({})];
    let ignoreBlock = false;
    let expect: Record<string, unknown> | null = null;
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!.replace(/\r$/, '');
      const ann = /^#+ ?(failJSON|(?:file|filter)Options|addFILE):(.+)$/.exec(line);
      if (ann) {
        const data = JSON.parse(ann[2]!) as unknown;
        if (ann[1] === 'fileOptions') { common = data as Opts; continue; }
        if (ann[1] === 'addFILE') { files.push(data as string); continue; }
        if (ann[1] === 'filterOptions') {
          variants = [];
          ignoreBlock = false;
          for (const o of Array.isArray(data) ? data as Opts[] : [data as Opts]) {
            const opts = { ...common, ...o };
            const cond = opts['test.condition'];
            if (cond !== undefined && holds(cond, name, opts) === false) { ignoreBlock = true; continue; }
            variants.push(variant(opts));
          }
          continue;
        }
        expect = data as Record<string, unknown>;
        continue;
      }
      if (line.startsWith('#') || line.trim() === '' || ignoreBlock) { expect = null; continue; }
      const faildata = expect ?? {};
      expect = null;
      for (const v of variants) {
        const constraint = faildata.constraint as string | undefined;
        if (constraint !== undefined && holds(constraint, name, v.opts) !== true) continue;
        const annotated = Object.keys(faildata).length > 0;
        if (annotated) result.checks++;
        const reason = checkLine(v, line, faildata);
        if (!annotated) continue;
        if (reason === null) result.passed++;
        else result.failures.push({ filter: `${name}${v.key === '[]' ? '' : v.key}`, line: i + 1, text: line, reason });
      }
    }
  }
  return result;
}

function checkLine(v: Variant, line: string, faildata: Record<string, unknown>): string | null {
  if (typeof v.filter === 'string') return v.filter;
  const journal = v.opts.logtype === 'journal';
  const text = journal ? `${v.opts['test.prefix-line'] ?? ''}${line}` : line;
  const hits = v.filter.feed({ source: 'sample', text, readAt: TEST_NOW * 1000 });
  const want = faildata.match === true;
  if (hits.length === 0) return want ? 'not matched' : null;
  if (!want) return `matched (failregex ${hits[0]!.failregex}, host ${hits[0]!.addr}) but should not`;
  const hit = hits[0]!;
  if (typeof faildata.host === 'string' && hit.addr !== faildata.host) return `host ${hit.addr}, expected ${faildata.host}`;
  for (const [k, want] of Object.entries(faildata)) {
    // `users` is fail2ban's internal set of users of one connection, not a result.
    if (['time', 'match', 'desc', 'constraint', 'host', 'users'].includes(k)) continue;
    const got = k === 'attempts' ? hit.matches.length
      : k === 'ip4' || k === 'ip6' ? hit.addr
        : k === 'dns' ? (/^[\d.]+$|:/.test(hit.addr) ? null : hit.addr) : hit.fields[k];
    if (JSON.stringify(got) !== JSON.stringify(want)) return `${k} ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`;
  }
  if (typeof faildata.time === 'string' && !journal) {
    const t = localTime(faildata.time);
    if (Math.abs(hit.time - t) >= 1000) return `time ${new Date(hit.time).toISOString()}, expected ${new Date(t).toISOString()}`;
  }
  return null;
}

/** Every filter in filter.d with a sample log. */
export function checkAll(tree: Fail2banTree): FilterCompat[] {
  const samples = new Set(readdirSync(tree.logsDir));
  return readdirSync(join(tree.configDir, 'filter.d'))
    .filter((f) => f.endsWith('.conf') && f !== 'common.conf' && samples.has(f.slice(0, -5)))
    .sort()
    .map((f) => checkFilter(tree, f.slice(0, -5)));
}
