/**
 * `f2b-fw demo`: builds the router lab in throwaway namespaces, replays a
 * short attack and narrates what f2b-fw does. As an ordinary user it re-runs
 * itself inside a user + network namespace (`unshare -r -n`), so neither root
 * nor the host firewall is involved.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXIT, type Command } from '../command.js';
import { CLI_ENTRY } from '../../core/paths.js';
import { buildLab, labPrivilegeProblem } from '../../lab/topology.js';
import { runScenario } from '../../lab/scenario.js';

const INNER = 'F2B_FW_DEMO_INNER';

/** `f2b-fw demo`. */
export const demoCommand: Command = {
  name: 'demo',
  help: [
    'Usage: f2b-fw demo [--bantime SECONDS] [--json]',
    '',
    'Builds three hosts in private network namespaces — an attacker and a client outside,',
    'a router that forwards tcp/8080 to a web server on its LAN — runs f2b-fw on the router,',
    'replays failed ssh logins and a port scan, and shows each step: the lines found, the ban',
    'in the kernel set, a blocked and an allowed connection, a restart, an `nft flush ruleset`',
    'repaired, and the ban expiring. Everything is removed at the end.',
    '',
    'Needs root, or unprivileged user namespaces (then it runs inside `unshare -r -n`).',
    'The host firewall is never touched.',
    '',
    'Options:',
    '  --bantime SECONDS  ban length in the demo (default 15)',
    '  --json             one JSON event per line instead of text',
  ].join('\n'),
  options: { bantime: { type: 'string' }, json: { type: 'boolean' } },
  async run(args, io) {
    const bantime = Number(args.values.bantime ?? 15);
    if (!Number.isInteger(bantime) || bantime < 10 || bantime > 600) {
      io.err(`f2b-fw demo: --bantime ${JSON.stringify(args.values.bantime)}: give whole seconds from 10 to 600`);
      return EXIT.usage;
    }
    if (process.geteuid?.() !== 0 && process.env[INNER] !== '1') {
      const argv = ['-r', '-n', '--', process.execPath, CLI_ENTRY, 'demo', ...process.argv.slice(3)];
      const r = spawnSync('unshare', argv, { stdio: 'inherit', env: { ...process.env, [INNER]: '1' } });
      if (r.error || r.status === null) {
        io.err('f2b-fw demo: cannot start a user namespace (`unshare -r -n`); run as root, or allow unprivileged user namespaces (sysctl user.max_user_namespaces > 0; on Ubuntu also kernel.apparmor_restrict_unprivileged_userns=0).');
        return EXIT.environment;
      }
      return r.status;
    }
    const problem = labPrivilegeProblem();
    if (problem) {
      io.err(`f2b-fw demo: ${problem}`);
      return EXIT.environment;
    }
    const dir = mkdtempSync(join(tmpdir(), 'f2b-fw-demo-'));
    const lab = buildLab();
    const json = Boolean(args.values.json);
    if (!json) io.out('f2b-fw demo: attacker 198.51.100.2 and client 203.0.113.2 → router (forwards :8080 → 192.0.2.10:80)\n');
    try {
      await runScenario(lab, {
        workDir: dir,
        bantime,
        report: (e) => io.out(json ? JSON.stringify(e) : `${e.ok ? '✔' : '✘'} ${e.step}\n    ${e.detail.replace(/\n/g, '\n    ')}`),
      });
      if (!json) io.out('\nDone: every namespace and file of the demo is removed.');
      return EXIT.ok;
    } catch (e) {
      io.err(`f2b-fw demo: ${(e as Error).message}`);
      return EXIT.failure;
    } finally {
      lab.destroy();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
