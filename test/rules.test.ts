/**
 * The shipped filter library (rules/filter.d) against its annotated samples
 * (rules/samples, format in rules/samples/README.md): every filter loads with
 * the config loader, compiles with the filter engine, and every sample line
 * gives the expected match, address, time and user. Also checks what keeps
 * the library safe: every regex anchored at both ends, every filter with a
 * sample file, and crafted pathological lines do not stall a filter
 * (injection attempts are sample lines with their expected address).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ipaddr from 'ipaddr.js';
import { loadFilterDefinition } from '../src/config/filter-load.js';
import { compileFilter, type Filter } from '../src/filter/filter.js';
import { RULES_DIR } from '../src/core/paths.js';
import type { Clock } from '../src/core/clock.js';
import type { RawSection } from '../src/config/types.js';

const SAMPLES = join(RULES_DIR, 'samples');
const FILTERS = join(RULES_DIR, 'filter.d');
/** The clock the samples are written against (syslog dates take its year). */
const clock: Clock = { now: () => Date.parse('2026-11-21T12:00:00Z') };
/** The address samples use for injection attempts; never reported from attacker text. */
const INJECTED = '203.0.113.9';

/** One annotation: fail2ban's failJSON. */
interface Expectation {
  readonly match: boolean;
  readonly host?: string;
  readonly time?: string;
  readonly user?: string;
  readonly desc?: string;
}

/** One annotated log line with the filter options it is checked under. */
interface Sample {
  readonly lineNo: number;
  readonly text: string;
  readonly expect: Expectation;
  readonly options: readonly Record<string, string>[];
}

/** Reads a sample file: `# filterOptions:` blocks, `# failJSON:` before each line. */
function readSamples(file: string): Sample[] {
  const out: Sample[] = [];
  let options: Record<string, string>[] = [{}];
  let pending: Expectation | null = null;
  readFileSync(file, 'utf8').split('\n').forEach((line, i) => {
    const opt = /^# filterOptions:\s*(.*)$/.exec(line);
    if (opt) {
      const v = JSON.parse(opt[1]!) as Record<string, string> | Record<string, string>[];
      options = Array.isArray(v) ? v : [v];
      return;
    }
    const fj = /^# failJSON:\s*(.*)$/.exec(line);
    if (fj) { pending = JSON.parse(fj[1]!) as Expectation; return; }
    if (line.startsWith('#') || line.trim() === '') return;
    assert.ok(pending, `${file}:${i + 1}: log line without a failJSON annotation`);
    out.push({ lineNo: i + 1, text: line, expect: pending, options });
    pending = null;
  });
  return out;
}

/** `name[k=v, ...]` for the loader. */
function spec(name: string, options: Record<string, string>): string {
  const args = Object.entries(options).map(([k, v]) => `${k}=${v}`);
  return args.length ? `${name}[${args.join(', ')}]` : name;
}

function load(name: string, options: Record<string, string> = {}): { def: RawSection; filter: Filter } {
  const def = loadFilterDefinition(RULES_DIR, spec(name, options));
  return { def, filter: compileFilter(def, { clock, logtimezone: 'UTC' }) };
}

function canonical(addr: string): string {
  return ipaddr.isValid(addr) ? ipaddr.parse(addr).toString() : addr;
}

/** Expected time in ms: ISO 8601, UTC when no zone is written. */
function expectedTime(iso: string): number {
  return Date.parse(/(?:Z|[+-]\d\d:?\d\d)$/.test(iso) ? iso : `${iso}Z`);
}

/** Checks one sample; returns what is wrong, or null. */
function check(filter: Filter, s: Sample): string | null {
  const hits = filter.feed({ source: 'sample', text: s.text, readAt: clock.now() }).filter((h) => !h.nofail);
  const e = s.expect;
  if (!e.match) return hits.length ? `unexpected match, address ${hits[0]!.addr}` : null;
  const hit = hits[0];
  if (!hit) return 'no match';
  if (e.host !== undefined && canonical(hit.addr) !== canonical(e.host)) return `address ${hit.addr}, expected ${e.host}`;
  if (e.time !== undefined && Math.abs(hit.time - expectedTime(e.time)) > 1) {
    return `time ${new Date(hit.time).toISOString()}, expected ${e.time}`;
  }
  if (e.user !== undefined && hit.fields.user !== e.user) return `user ${JSON.stringify(hit.fields.user)}, expected ${JSON.stringify(e.user)}`;
  return null;
}

/** Filters in filter.d (files with a failregex; the others are includes). */
const filterNames = readdirSync(FILTERS)
  .filter((f) => f.endsWith('.conf') && /^failregex\s*=/m.test(readFileSync(join(FILTERS, f), 'utf8')))
  .map((f) => f.slice(0, -'.conf'.length))
  .sort();

/** Per filter: sample lines checked (lines × option sets) and how many passed, for the summary. */
const summary = new Map<string, { checked: number; passed: number }>();

describe('rules/filter.d against rules/samples', () => {
  it('has a sample file for every filter and a filter for every sample file', () => {
    const samples = readdirSync(SAMPLES).filter((f) => f.endsWith('.log')).map((f) => f.slice(0, -4)).sort();
    assert.deepEqual(samples, filterNames);
  });

  for (const name of filterNames) {
    it(`${name}: every sample line gives its expected result`, () => {
      const samples = readSamples(join(SAMPLES, `${name}.log`));
      assert.ok(samples.some((s) => s.expect.match), 'at least one matching sample');
      assert.ok(samples.some((s) => !s.expect.match), 'at least one non-matching sample');
      for (const s of samples.filter((x) => x.expect.match)) {
        assert.ok(s.expect.host !== undefined && s.expect.time !== undefined, `${name}.log line ${s.lineNo}: a match states host and time`);
      }
      const filters = new Map<string, Filter>();
      const failures: string[] = [];
      let checked = 0;
      for (const s of samples) {
        for (const opts of s.options) {
          const key = spec(name, opts);
          let f = filters.get(key);
          if (!f) { f = load(name, opts).filter; filters.set(key, f); }
          checked++;
          const wrong = check(f, s);
          if (wrong) failures.push(`${key} line ${s.lineNo}: ${wrong}\n    ${s.text.slice(0, 200)}`);
        }
      }
      summary.set(name, { checked, passed: checked - failures.length });
      assert.equal(failures.length, 0, `${failures.length} of ${checked} sample checks failed:\n${failures.join('\n')}`);
    });
  }

  it('never expects the injected address where a sample says it is an injection', () => {
    for (const name of filterNames) {
      for (const s of readSamples(join(SAMPLES, `${name}.log`))) {
        if (s.expect.host !== undefined) assert.notEqual(canonical(s.expect.host), INJECTED, `${name}.log line ${s.lineNo}`);
      }
    }
  });

  it('prints the per-filter summary', (t) => {
    for (const [name, { checked, passed }] of [...summary].sort()) t.diagnostic(`${name.padEnd(22)} ${String(checked).padStart(4)} checks  ${passed === checked ? 'all pass' : `${checked - passed} FAIL`}`);
  });
});

describe('rules/filter.d safety', () => {
  /** Every mode a filter names in its header, or just the default. */
  function modesOf(name: string): string[] {
    const text = readFileSync(join(FILTERS, `${name}.conf`), 'utf8');
    const modes = [...text.matchAll(/^mdre-([\w-]+)\s*=/gm)].map((m) => m[1]!);
    return modes.length ? modes : [''];
  }

  for (const name of filterNames) {
    it(`${name}: every failregex and prefregex is anchored at both ends, in every mode`, () => {
      for (const mode of modesOf(name)) {
        const { def } = load(name, mode ? { mode } : {});
        for (const key of ['prefregex', 'failregex']) {
          const value = def.settings.get(key)?.value ?? '';
          for (const re of value.split('\n').map((l) => l.trim()).filter(Boolean)) {
            assert.ok(re.startsWith('^'), `${name}[mode=${mode}] ${key} not anchored at the start: ${re.slice(0, 80)}`);
            assert.ok(re.endsWith('$'), `${name}[mode=${mode}] ${key} not anchored at the end: …${re.slice(-80)}`);
          }
        }
      }
    });

    it(`${name}: crafted pathological lines do not stall the filter`, () => {
      const mode: Record<string, string> = modesOf(name).includes('aggressive') ? { mode: 'aggressive' } : {};
      const { filter } = load(name, mode);
      for (const text of pathological(name)) {
        const started = process.hrtime.bigint();
        filter.feed({ source: 'crafted', text, readAt: clock.now() });
        const ms = Number(process.hrtime.bigint() - started) / 1e6;
        assert.ok(ms < 1000, `${name}: a ${text.length}-character line took ${ms.toFixed(0)} ms: ${text.slice(0, 120)}…`);
      }
    });
  }
});

/**
 * Lines built to make a backtracking regex work hard: each sample line of the
 * filter with its attacker-writable middle replaced by long repetitions of
 * the separators the filter's regexes look for, never completing a match.
 */
function pathological(name: string): string[] {
  const pieces = [
    ' from 203.0.113.9', ' port 22', ' from 203.0.113.9 port 22 ssh2:', ', client: 203.0.113.9, server: ',
    '"\\"', ' [client 203.0.113.9:1]', ',203.0.113.9,<a>', ', rip=203.0.113.9', ': : : ', 'aaaa ', '/~/', '" "',
    '[203.0.113.9]', ' SRC=203.0.113.9', '/203.0.113.9', ' [sshd] Ban 203.0.113.9',
  ];
  const lines: string[] = [];
  for (const s of readSamples(join(SAMPLES, `${name}.log`)).filter((x) => x.expect.match).slice(0, 6)) {
    const cut = Math.floor(s.text.length / 2);
    for (const p of pieces) {
      const filler = p.repeat(Math.ceil(3000 / p.length)).slice(0, 3000);
      lines.push(`${s.text.slice(0, cut)}${filler}${s.text.slice(cut)} x`);
      lines.push(`${s.text.slice(0, cut)}${filler}`);
    }
  }
  return lines;
}

describe('recidive reads what f2b-fw writes', () => {
  it('counts Ban lines of other jails from the daemon logger, nothing else', () => {
    const dir = mkdtempSync(join(tmpdir(), 'f2b-rules-'));
    try {
      const logFile = join(dir, 'f2b-fw.log');
      const logModule = fileURLToPath(new URL('../src/core/log.js', import.meta.url));
      // The daemon's own logger in a child process (it also writes to stdout, which is dropped here).
      const script = `
        const { createLogger, logBanEvent } = await import(${JSON.stringify(logModule)});
        const log = createLogger({ level: 'info', target: ${JSON.stringify(logFile)}, pretty: false });
        logBanEvent(log, 'Found', 'sshd', '198.51.100.7');
        logBanEvent(log, 'Ban', 'sshd', '198.51.100.7', { ttl: 600 });
        logBanEvent(log, 'Ban', 'postfix-sasl', '2001:db8::7');
        logBanEvent(log, 'already banned', 'sshd', '198.51.100.7');
        logBanEvent(log, 'Ban', 'recidive', '198.51.100.7');
        logBanEvent(log, 'Restore Ban', 'sshd', '198.51.100.8');
        logBanEvent(log, 'Unban', 'sshd', '198.51.100.7');`;
      const before = Date.now();
      const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
      const after = Date.now();
      assert.equal(run.status, 0, run.stderr);
      const lines = readFileSync(logFile, 'utf8').split('\n').filter(Boolean);
      assert.equal(lines.length, 7);
      const filter = load('recidive').filter;
      const hits = lines.flatMap((text) => filter.feed({ source: logFile, text, readAt: after }));
      assert.deepEqual(hits.map((h) => canonical(h.addr)), ['198.51.100.7', '2001:db8::7']);
      for (const h of hits) assert.ok(h.time >= before - 1 && h.time <= after + 1, `time ${h.time} from the line, within the run`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
