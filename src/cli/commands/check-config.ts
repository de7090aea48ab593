/**
 * `f2b-fw check-config`: validates f2b-fw.conf, every enabled jail (settings,
 * filter compiled) and the firewall keys, without touching the kernel, the
 * database or the logs. systemd's ExecStartPre runs it; exit 3 names the bad value.
 */
import { EXIT, type Command } from '../command.js';
import { systemClock, systemTimers } from '../../core/clock.js';
import { createLogger } from '../../core/log.js';
import { createExecutor } from '../../actions/factory.js';
import { loadJailConfig } from '../../config/load.js';
import { firewallLayout } from '../../fw/spec.js';
import { compileJail } from '../../daemon/jails.js';
import { sectionEnabled } from '../../config/bool.js';
import { ignoreWarnings } from '../../jail/ignore.js';
import { chooseBackend } from '../../fw/backend.js';
import { withFleetJail } from '../../daemon/fleet.js';
import { INSTANCE_OPTIONS, INSTANCE_OPTIONS_HELP, resolveInstance } from '../instance.js';

/** The actions of each jail as a table: jail, action, class, why. */
function actionTable(jails: ReadonlyArray<{ name: string; actions: ReadonlyArray<{ name: string; kind: string; reporter?: string; reason: string }> }>): string[] {
  const rows = jails.flatMap((j) => j.actions.map((a) => [j.name, a.name, a.reporter ? `${a.kind} (${a.reporter})` : a.kind, a.reason]));
  if (rows.length === 0) return [];
  const head = ['JAIL', 'ACTION', 'CLASS', 'WHAT F2B-FW DOES'];
  const widths = head.slice(0, 3).map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: readonly string[]): string => r.map((c, i) => (i < 3 ? c.padEnd(widths[i]!) : c)).join('  ');
  return ['actions:', line(head), ...rows.map(line)];
}

export const checkConfigCommand: Command = {
  name: 'check-config',
  help: [
    'Usage: f2b-fw check-config [--config-dir DIR] [--json]',
    '',
    'Reads f2b-fw.conf and the jail files, checks every enabled jail (settings,',
    'filter, ports, hooks, banaction) and exits 0 when the daemon would start, 3 with the',
    'file, line, section, key and value of the first bad setting otherwise.',
    '',
    'Options:',
    INSTANCE_OPTIONS_HELP,
    '  --json             machine-readable summary',
  ].join('\n'),
  options: { ...INSTANCE_OPTIONS, json: { type: 'boolean' } },
  async run(args, io) {
    const { configDir, settings } = resolveInstance(args);
    const loaded = loadJailConfig(configDir);
    const compiled = loaded.jails.filter(sectionEnabled).map((raw) => compileJail(raw, configDir, systemClock));
    const jails = compiled.map((c) => c.settings);
    const layout = firewallLayout(withFleetJail(loaded, settings.fleet));
    // Every command and reporter action is built once (its options checked: API key, URL, timeout…).
    for (const list of loaded.actions.values()) for (const a of list) createExecutor(a, { clock: systemClock, timers: systemTimers, log: createLogger({ level: 'silent' }) });
    const backend = chooseBackend(undefined, loaded, layout);
    const summary = {
      configDir, files: loaded.files, db: settings.dbfile, socket: settings.socket,
      jails: jails.map((j) => ({
        name: j.name, filter: j.filter, logpath: j.backend === 'systemd' ? ['journal'] : j.logpath, bantime: j.bantime, maxretry: j.maxretry, findtime: j.findtime,
        actions: (loaded.actions.get(j.name) ?? []).map((a) => ({ name: a.name, kind: a.kind, ...(a.reporter ? { reporter: a.reporter } : {}), reason: a.reason, reference: a.ref.text })),
      })),
      hooks: [...new Set(layout.jails.flatMap((j) => j.hooks))],
      backend: backend.backend, backendWhy: backend.why,
      ...(settings.fleet ? { fleet: { url: settings.fleet.displayUrl, node: settings.fleet.node, jail: settings.fleet.jail } } : {}),
      warnings: [...jails.flatMap((j) => ignoreWarnings(j.name, j.ignoreip)), ...compiled.flatMap((c) => c.warnings.map((w) => `[${c.settings.name}] ${w}`))],
    };
    for (const w of summary.warnings) io.err(`warning: ${w}`);
    io.out(args.values.json ? JSON.stringify(summary) : [
      `configuration OK: ${configDir} (${loaded.files.length} file(s) read)`,
      `${jails.length} enabled jail(s): ${jails.map((j) => j.name).join(', ') || 'none'}`,
      `database ${settings.dbfile}, control socket ${settings.socket}`,
      `firewall backend ${backend.backend}: ${backend.why}`,
      ...(settings.fleet ? [`fleet: ${settings.fleet.displayUrl} as ${settings.fleet.node} (shared bans of jails not here go to [${settings.fleet.jail}])`] : []),
      ...actionTable(summary.jails),
    ].join('\n'));
    return EXIT.ok;
  },
};
