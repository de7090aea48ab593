/**
 * The router-lab scenario: attack, ban (router port and forwarded service),
 * restart, flush, expiry. The namespace test (test/lab/) asserts it and
 * `f2b-fw demo` narrates it; both run exactly this code.
 */
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { F2bError } from '../core/errors.js';
import { CLI_ENTRY } from '../core/paths.js';
import { LAB_ADDR, LAB_NAT_RULESET, canConnect, type Lab } from './topology.js';

/** One observed step: what was checked and whether it held. */
export interface LabEvent {
  readonly step: string;
  readonly ok: boolean;
  readonly detail: string;
}

/** A check of the scenario did not hold. */
export class LabScenarioError extends F2bError {
  constructor(step: string, detail: string) {
    super('lab', `lab step "${step}" failed: ${detail}`);
  }
}

/** Inputs of a run. */
export interface ScenarioOptions {
  /** Scratch directory for the router's config, logs, database and socket. */
  readonly workDir: string;
  /** Ban length in seconds: long enough to outlive the restart and flush steps. */
  readonly bantime: number;
  /** Called for every step (the demo prints, the test collects). */
  readonly report: (event: LabEvent) => void;
}

/** The daemon's log lines worth narrating (finds, bans, repairs); null for the rest. */
function daemonMessage(jsonLine: string): string | null {
  try {
    const { msg } = JSON.parse(jsonLine) as { msg?: unknown };
    return typeof msg === 'string' && /\] (Found|Ban|Unban|Restore Ban)\b|repair/i.test(msg) ? msg : null;
  } catch {
    return null;
  }
}

/** syslog-style timestamp (local time, as sshd and the kernel log write it). */
function syslogStamp(d: Date): string {
  const mon = d.toLocaleString('en-US', { month: 'short' });
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${mon} ${String(d.getDate()).padStart(2, ' ')} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** Writes the router's config dir: two jails reading the lab's logs. */
function writeRouterConfig(dir: string, bantime: number): void {
  mkdirSync(join(dir, 'etc'), { recursive: true });
  writeFileSync(join(dir, 'auth.log'), '');
  writeFileSync(join(dir, 'kern.log'), '');
  writeFileSync(join(dir, 'etc', 'f2b-fw.conf'), [
    '[Definition]',
    `socket = ${join(dir, 'f2b-fw.sock')}`,
    `pidfile = ${join(dir, 'f2b-fw.pid')}`,
    `dbfile = ${join(dir, 'f2b-fw.sqlite3')}`,
    'logtarget = STDOUT',
    '',
  ].join('\n'));
  writeFileSync(join(dir, 'etc', 'jail.local'), [
    '[DEFAULT]',
    `bantime = ${bantime}`,
    'findtime = 10m',
    'ignoreself = false',
    '',
    '[sshd]',
    'enabled = true',
    'port = ssh',
    'maxretry = 3',
    `logpath = ${join(dir, 'auth.log')}`,
    '',
    '[ufw-port-scan]',
    'enabled = true',
    'port = all',
    'maxretry = 1',
    `logpath = ${join(dir, 'kern.log')}`,
    '',
  ].join('\n'));
}

/** Drives one run of the scenario on a built lab; throws LabScenarioError at the first failed check. */
export async function runScenario(lab: Lab, options: ScenarioOptions): Promise<void> {
  const { workDir: dir, report } = options;
  const cli = (args: string[]): string => lab.router.run('node', [CLI_ENTRY, ...args, '--config-dir', join(dir, 'etc')]);
  const check = (step: string, ok: boolean, detail: string): void => {
    report({ step, ok, detail });
    if (!ok) throw new LabScenarioError(step, detail);
  };
  const attackerIn = (port: number): boolean => canConnect(lab.attacker, LAB_ADDR.routerWan0, port);
  const clientIn = (port: number): boolean => canConnect(lab.client, LAB_ADDR.routerWan1, port);
  const until = async (cond: () => boolean, ms: number): Promise<boolean> => {
    for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 100))) if (cond()) return true;
    return cond();
  };
  const inSet = (set: string): boolean => lab.router.try('nft', ['get', 'element', 'inet', 'f2b-fw', set, `{ ${LAB_ADDR.attacker} }`]);

  writeRouterConfig(dir, options.bantime);
  let daemon: ChildProcess | null = null;
  const start = async (): Promise<void> => {
    const child = lab.router.spawn('node', [CLI_ENTRY, 'run', '--config-dir', join(dir, 'etc')], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    daemon = child;
    createInterface({ input: child.stdout! }).on('line', (l) => {
      const msg = daemonMessage(l);
      if (msg !== null) report({ step: '   f2b-fw log', ok: true, detail: msg.split('\n')[0]! });
    });
    const up = await until(() => lab.router.try('node', [CLI_ENTRY, 'ping', '--config-dir', join(dir, 'etc')]), 15_000);
    check('start f2b-fw on the router', up, up ? 'the daemon answers on its control socket' : 'no answer within 15 s');
  };
  const stop = async (): Promise<void> => {
    const d = daemon as ChildProcess | null;
    if (!d || d.exitCode !== null) return;
    const exited = new Promise((r) => d.once('exit', r));
    d.kill('SIGTERM');
    await exited;
  };

  try {
    check('1. attacker reaches the router', attackerIn(LAB_ADDR.sshPort), `${LAB_ADDR.attacker} → router:${LAB_ADDR.sshPort}`);
    check('1. attacker reaches the forwarded web server', attackerIn(LAB_ADDR.forwardPort), `${LAB_ADDR.attacker} → router:${LAB_ADDR.forwardPort} → ${LAB_ADDR.lan}:${LAB_ADDR.webPort}`);
    await start();

    const now = syslogStamp(new Date());
    const sshd = [1, 2, 3].map((i) => `${now} router sshd[${4000 + i}]: Failed password for invalid user admin${i} from ${LAB_ADDR.attacker} port ${50000 + i} ssh2`);
    appendFileSync(join(dir, 'auth.log'), `${sshd.join('\n')}\n`);
    const ufw = `${now} router kernel: [ 1234.567890] [UFW BLOCK] IN=wan0 OUT= MAC=02:00:00:00:00:01:02:00:00:00:00:02:08:00 SRC=${LAB_ADDR.attacker} DST=${LAB_ADDR.routerWan0} LEN=44 TOS=0x00 PREC=0x00 TTL=64 ID=1 PROTO=TCP SPT=40000 DPT=23 WINDOW=1024 RES=0x00 SYN URGP=0`;
    appendFileSync(join(dir, 'kern.log'), `${ufw}\n`);
    report({ step: '2. attack', ok: true, detail: `wrote ${sshd.length} sshd failures and 1 [UFW BLOCK] line for ${LAB_ADDR.attacker}` });

    const banned = await until(() => inSet('sshd-v4') && inSet('ufw-port-scan-v4'), 10_000);
    check('3. the attacker is banned', banned, banned ? `${LAB_ADDR.attacker} is in sets sshd-v4 and ufw-port-scan-v4 of table inet f2b-fw` : 'not in the kernel sets within 10 s');
    check('3. router port closed to the attacker', !attackerIn(LAB_ADDR.sshPort), `router:${LAB_ADDR.sshPort}`);
    check('3. forwarded service closed to the attacker', !attackerIn(LAB_ADDR.forwardPort), `router:${LAB_ADDR.forwardPort} → lan`);
    check('3. another client still gets through', clientIn(LAB_ADDR.sshPort) && clientIn(LAB_ADDR.forwardPort), `${LAB_ADDR.client} → router:${LAB_ADDR.sshPort} and :${LAB_ADDR.forwardPort}`);
    const status = cli(['status', 'sshd']);
    check('3. f2b-fw status shows the ban', status.includes(LAB_ADDR.attacker), status.trim());

    await stop();
    await start();
    check('4. still blocked after a restart', !attackerIn(LAB_ADDR.sshPort) && !attackerIn(LAB_ADDR.forwardPort), 'router:22 and :8080 closed to the attacker');

    lab.router.run('nft', ['flush', 'ruleset']);
    lab.router.run('nft', ['-f', '-'], LAB_NAT_RULESET);
    report({ step: '4. nft flush ruleset', ok: true, detail: 'flushed, then the admin\'s own nat table put back (as nftables.service would)' });
    const repaired = await until(() => inSet('sshd-v4') && inSet('ufw-port-scan-v4'), 5_000);
    check('4. f2b-fw repairs its table', repaired, repaired ? 'table, sets, rules and bans back' : 'not repaired within 5 s');
    check('4. still blocked after the flush', !attackerIn(LAB_ADDR.sshPort) && !attackerIn(LAB_ADDR.forwardPort), 'router:22 and :8080 closed to the attacker');
    check('4. another client still gets through', clientIn(LAB_ADDR.sshPort) && clientIn(LAB_ADDR.forwardPort), `${LAB_ADDR.client}`);

    const expired = await until(() => attackerIn(LAB_ADDR.sshPort) && attackerIn(LAB_ADDR.forwardPort), (options.bantime + 10) * 1000);
    check('5. the ban expires', expired, expired ? 'the attacker reaches router:22 and :8080 again' : 'still blocked after bantime');
  } finally {
    await stop();
  }
}
