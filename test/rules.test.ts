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
import { jailSettings } from '../src/jail/settings.js';
import { Jail } from '../src/jail/jail.js';
import { prefixKey } from '../src/core/prefix.js';
import { canonicalAddress } from '../src/core/address.js';

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

  it('with prefix counting on (ipv6_prefix 64, ipv4_prefix 24), every ban is the prefix of the sample\'s own host, injections included', () => {
    const settings = jailSettings({ name: 'prefixed', settings: new Map([
      ['maxretry', { value: '1', pos: { file: '(test)' } }], ['ipv6_prefix', { value: '64', pos: { file: '(test)' } }],
      ['ipv4_prefix', { value: '24', pos: { file: '(test)' } }], ['ignoreself', { value: 'false', pos: { file: '(test)' } }],
    ]) });
    let checked = 0;
    for (const name of filterNames) {
      const filters = new Map<string, Filter>();
      for (const s of readSamples(join(SAMPLES, `${name}.log`))) {
        for (const opts of s.options) {
          const key = spec(name, opts);
          let f = filters.get(key);
          if (!f) { f = load(name, opts).filter; filters.set(key, f); }
          const jail = new Jail(settings, { clock, history: { banCount: () => 0 }, ownAddresses: [] });
          for (const hit of f.feed({ source: 'sample', text: s.text, readAt: clock.now() }).filter((h) => !h.nofail)) {
            const d = jail.onFailure({ jail: 'prefixed', addr: hit.addr, time: clock.now(), matches: [s.text], fields: hit.fields });
            if (!d || !s.expect.match || s.expect.host === undefined) continue;
            checked++;
            assert.equal(d.addr, prefixKey(canonicalAddress(s.expect.host) ?? s.expect.host, 24, 64), `${key} line ${s.lineNo}`);
          }
        }
      }
    }
    assert.ok(checked > 300, `${checked} bans checked`);
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
    it(`${name}: every prefregex, failregex and ignoreregex is anchored at both ends, in every mode`, () => {
      for (const mode of modesOf(name)) {
        const { def } = load(name, mode ? { mode } : {});
        for (const key of ['prefregex', 'failregex', 'ignoreregex']) {
          const value = def.settings.get(key)?.value ?? '';
          for (const re of value.split('\n').map((l) => l.trim()).filter(Boolean)) {
            assert.ok(re.startsWith('^'), `${name}[mode=${mode}] ${key} not anchored at the start: ${re.slice(0, 80)}`);
            assert.ok(re.endsWith('$'), `${name}[mode=${mode}] ${key} not anchored at the end: …${re.slice(-80)}`);
          }
        }
      }
    });

    it(`${name}: every regex can fall back to V8's linear-time engine (no lookarounds, no back-references)`, () => {
      for (const mode of modesOf(name)) {
        const filter = compileFilter(load(name, mode ? { mode } : {}).def, { clock, logtimezone: 'UTC' });
        assert.deepEqual(filter.unguarded.map((r) => r.text), [], `${name}[mode=${mode}]`);
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

/**
 * A log line with `{U}` where a client writes text (user name, path, agent,
 * HELO, …), and the address the service itself wrote.
 */
interface AttackTemplate { readonly filter: string; readonly mode?: string; readonly line: string; readonly host: string; readonly escape?: boolean }

const SYSLOG = 'Nov 21 05:09:37 bastion';
const APACHE24 = '[Sat Nov 21 05:09:37.100000 2026] [core:error] [pid 1:tid 2] [client 198.51.100.7:51000]';
const APACHE22 = '[Sat Nov 21 05:09:37 2026] [error] [client 198.51.100.7]';
const NGINX = '2026/11/21 05:09:37 [error] 2865#2865: *1';
const ACCESS = '198.51.100.7 - {U} [21/Nov/2026:05:09:37 +0000] "GET /{U} HTTP/1.1"';
const H = '198.51.100.7';

const ATTACKS: readonly AttackTemplate[] = [
  ...[
    'Failed password for invalid user {U} from 198.51.100.7 port 51366 ssh2',
    'Failed password for {U} from 198.51.100.7 port 51366 ssh2',
    'Failed keyboard-interactive/pam for {U} from 198.51.100.7 port 51366 ssh2',
    'Invalid user {U} from 198.51.100.7 port 22',
    'Invalid user {U} from 198.51.100.7',
    'Failed publickey for invalid user {U} from 198.51.100.7 port 1 ssh2: RSA SHA256:abc',
    'Failed publickey for {U} from 198.51.100.7 port 1 ssh2: RSA SHA256:abc',
    'Failed hostbased for {U} from 198.51.100.7 port 1 ssh2: RSA SHA256:abc, client user "u", client host "h"',
    'Failed hostbased for dan from 198.51.100.7 port 1 ssh2: RSA SHA256:abc, client user "{U}", client host "{U}"',
    'User {U} from 198.51.100.7 not allowed because not listed in AllowUsers',
    'error: maximum authentication attempts exceeded for invalid user {U} from 198.51.100.7 port 1 ssh2 [preauth]',
    'Disconnecting invalid user {U} 198.51.100.7 port 1: Too many authentication failures [preauth]',
    'Connection closed by authenticating user {U} 198.51.100.7 port 1 [preauth]',
    'Disconnected from invalid user {U} 198.51.100.7 port 1 [preauth]',
    "Bad protocol version identification '{U}' from 198.51.100.7 port 1",
    'error: PAM: Authentication failure for {U} from 198.51.100.7',
    'Received disconnect from 198.51.100.7 port 1:11: {U} [preauth]',
    'Received disconnect from 198.51.100.7 port 1:3: {U}: Auth fail [preauth]',
    'Unable to negotiate with 198.51.100.7 port 1: no matching cipher found. Their offer: {U} [preauth]',
  ].map((m) => ({ filter: 'sshd', mode: 'aggressive', line: `${SYSLOG} sshd[1]: ${m}`, host: H })),
  ...['AH01618: user {U} not found: /x', 'AH01617: user {U}: authentication failure for "/x": Password Mismatch', 'AH01618: user x not found: {U}', 'AH01618: user x not found: /x, referer: {U}']
    .flatMap((m) => [{ filter: 'apache-auth', line: `${APACHE24} ${m}`, host: H }, { filter: 'apache-auth', line: `${APACHE22} ${m.replace(/^AH\d+: /, '')}`, host: H }]),
  { filter: 'apache-noscript', line: `${APACHE24} AH02811: script not found or unable to stat: /usr/lib/cgi-bin/{U}`, host: H },
  { filter: 'apache-noscript', line: `${APACHE22} File does not exist: /var/www/{U}.php`, host: H },
  { filter: 'apache-overflows', line: `${APACHE24} AH00126: Invalid URI in request {U}`, host: H },
  { filter: 'apache-overflows', line: `${APACHE22} Invalid method in request {U}`, host: H },
  { filter: 'apache-nohome', line: `${APACHE24} AH00128: File does not exist: /var/www/~{U}`, host: H },
  { filter: 'apache-botsearch', line: `${APACHE24} AH00128: File does not exist: /var/www/pma/{U}`, host: H },
  { filter: 'apache-botsearch', line: `${APACHE22} File does not exist: /var/www/pma, referer: {U}`, host: H },
  { filter: 'apache-probe', line: `${APACHE24} AH01630: client denied by server configuration: /var/www/{U}`, host: H },
  { filter: 'apache-probe', line: `${APACHE24} AH00126: Invalid URI in request GET /{U} HTTP/1.1`, host: H },
  { filter: 'apache-shellshock', line: `${APACHE24} AH01215: /bin/bash: warning: HTTP_X: ignoring function definition attempt, referer: {U}`, host: H },
  { filter: 'apache-modsecurity', line: `${APACHE24} [client 198.51.100.7] ModSecurity: Access denied with code 403 (phase 2). Matched phrase "{U}" at ARGS:q. [data "{U}"]`, host: H },
  { filter: 'apache-badbots', line: `${ACCESS} 404 1 "{U}" "{U} sqlmap/1.7"`, host: H, escape: true },
  { filter: 'apache-fakegooglebot', line: `${ACCESS} 200 1 "{U}" "Googlebot/2.1 {U}"`, host: H, escape: true },
  { filter: 'nginx-botsearch', line: `198.51.100.7 - {U} [21/Nov/2026:05:09:37 +0000] "GET /pma/{U} HTTP/1.1" 404 1 "{U}" "{U}"`, host: H, escape: true },
  { filter: 'nginx-botsearch', line: `${NGINX} open() "/var/www/{U}" failed (2: No such file or directory), client: 198.51.100.7, server: s, request: "GET /pma/{U} HTTP/1.1", host: "{U}"`, host: H },
  ...['user "{U}": password mismatch, client: 198.51.100.7, server: s, request: "GET / HTTP/1.1", host: "h"',
    'user "{U}" was not found in "/etc/nginx/.htpasswd", client: 198.51.100.7, server: s, request: "GET /{U} HTTP/1.1", host: "{U}", referrer: "{U}"',
    'user "u": password mismatch, client: 198.51.100.7, server: s, request: "GET /{U} HTTP/1.1", host: "{U}"']
    .map((m) => ({ filter: 'nginx-http-auth', mode: 'aggressive', line: `${NGINX} ${m}`, host: H })),
  ...['NOQUEUE: reject: RCPT from unknown[198.51.100.7]: 554 5.7.1 <{U}>: Relay access denied; from=<{U}> to=<{U}> proto=ESMTP helo=<{U}>',
    'warning: unknown[198.51.100.7]: SASL LOGIN authentication failed: {U}',
    'improper command pipelining after RSET from unknown[198.51.100.7]: {U}',
    'warning: non-SMTP command from unknown[198.51.100.7]: {U}']
    .map((m) => ({ filter: 'postfix', mode: 'aggressive', line: `${SYSLOG} postfix/smtpd[1]: ${m}`, host: H })),
  ...['imap-login: Disconnected (auth failed, 1 attempts in 2 secs): user=<{U}>, method=PLAIN, rip=198.51.100.7, lip=192.0.2.10, TLS, session=<abc>',
    'pop3-login: Aborted login (auth failed, 1 attempts): user=<{U}>, rip=198.51.100.7, lip=192.0.2.10, TLS: Disconnected, TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)',
    'auth: sql({U},198.51.100.7,<sess>): Password mismatch',
    'auth-worker(1): pam({U},198.51.100.7): pam_authenticate() failed: Authentication failure (password mismatch?)',
    'auth: passwd-file({U},198.51.100.7): unknown user']
    .map((m) => ({ filter: 'dovecot', mode: 'aggressive', line: `${SYSLOG} dovecot: ${m}`, host: H })),
  { filter: 'portsentry', line: `${SYSLOG} portsentry[1]: attackalert: Connect from host: {U}/198.51.100.7 to TCP port: 23`, host: H },
];

/** What a client may write into `{U}`: fake copies of the line's own tail, other formats' tails, quotes and brackets. */
function payloads(t: AttackTemplate): string[] {
  const at = t.line.indexOf('{U}');
  const fakeTail = t.line.slice(at + 3).split('{U}').join('x').split(t.host).join(INJECTED);
  const base = [
    `x from ${INJECTED}`, `x from ${INJECTED} port 22`, `x from ${INJECTED} port 22 ssh2`, `x from ${INJECTED} port 22 ssh2: RSA SHA256:x`,
    `x ${INJECTED} port 1`, `x ${INJECTED} port 1: Too many authentication failures [preauth]`, `x ${INJECTED} port 1 [preauth]`,
    `x,${INJECTED}): unknown user`, `x,${INJECTED},<s>): Password mismatch`, `x>, method=PLAIN, rip=${INJECTED}, lip=192.0.2.10, session=<s`,
    `x>, rip=${INJECTED}, TLS: `, `x", client: ${INJECTED}, server: s, request: "GET / HTTP/1.1", host: "h`,
    `x]: 554 5.7.1 <y>: Relay access denied; unknown[${INJECTED}]`, `unknown[${INJECTED}]`, `[client ${INJECTED}:1] AH01618: user x not found: /`,
    `x/${INJECTED}`, `${INJECTED}`, `x' from ${INJECTED}' from ${INJECTED}`, '"', '>', ')', ']', '\\', '',
  ];
  const all = new Set<string>([fakeTail, `x${fakeTail}`, `${fakeTail} x`, `${fakeTail}"`, `${fakeTail}>`]);
  for (const b of base) { all.add(b); all.add(`${b}${fakeTail}`); all.add(`${b} ${b}`); }
  const esc = (s: string): string => (t.escape ? s.replace(/["\\]/g, (c) => `\\${c}`) : s);
  return [...all].map(esc);
}

/** Each template also with an IPv6 client (Apache 2.4 writes it with the port and no brackets). */
const ATTACKS_V4_V6 = ATTACKS.flatMap((t) => [t, { ...t, line: t.line.split(H).join('2001:db8:7::7'), host: '2001:db8:7::7' }]);

describe('rules/filter.d: client-written text never moves the address', () => {
  for (const t of ATTACKS_V4_V6) {
    it(`${t.filter}${t.mode ? `[mode=${t.mode}]` : ''} ${t.host}: ${t.line.slice(t.line.indexOf(']', 20) + 2, 110)}`, () => {
      const { filter } = load(t.filter, t.mode ? { mode: t.mode } : {});
      const plain = t.line.split('{U}').join('x');
      const own = filter.feed({ source: 'attack', text: plain, readAt: clock.now() });
      assert.deepEqual(own.map((h) => canonical(h.addr)), [t.host], `the template itself reads ${t.host}: ${plain}`);
      for (const p of payloads(t)) {
        const text = t.line.split('{U}').join(p);
        for (const h of filter.feed({ source: 'attack', text, readAt: clock.now() })) {
          assert.equal(canonical(h.addr), t.host, `address taken from client text: ${text}`);
        }
      }
    });
  }
});
