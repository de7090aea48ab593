/**
 * `f2b-fw check-config`: validates f2b-fw.conf, every enabled jail (settings,
 * filter compiled) and the firewall keys, without touching the kernel, the
 * database or the logs. systemd's ExecStartPre runs it; exit 3 names the bad value.
 */
import { EXIT, type Command } from '../command.js';
import { systemClock } from '../../core/clock.js';
import { loadJailConfig } from '../../config/load.js';
import { firewallLayout } from '../../fw/spec.js';
import { compileJail, isEnabled } from '../../daemon/jails.js';
import { chooseBackend } from '../../daemon/driver.js';
import { INSTANCE_OPTIONS, INSTANCE_OPTIONS_HELP, resolveInstance } from '../../daemon/paths.js';

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
    const compiled = loaded.jails.filter(isEnabled).map((raw) => compileJail(raw, configDir, systemClock));
    const jails = compiled.map((c) => c.settings);
    const warnings = compiled.flatMap((c) => c.warnings.map((w) => `[${c.settings.name}] ${w}`));
    const layout = firewallLayout(loaded);
    const backend = chooseBackend(undefined, loaded, layout);
    const summary = {
      configDir, files: loaded.files, db: settings.dbfile, socket: settings.socket,
      jails: jails.map((j) => ({ name: j.name, filter: j.filter, logpath: j.backend === 'systemd' ? ['journal'] : j.logpath, bantime: j.bantime, maxretry: j.maxretry, findtime: j.findtime })),
      hooks: [...new Set(layout.jails.flatMap((j) => j.hooks))],
      backend: backend.backend, backendWhy: backend.why, warnings,
    };
    io.out(args.values.json ? JSON.stringify(summary) : [
      `configuration OK: ${configDir} (${loaded.files.length} file(s) read)`,
      `${jails.length} enabled jail(s): ${jails.map((j) => j.name).join(', ') || 'none'}`,
      `database ${settings.dbfile}, control socket ${settings.socket}`,
      `firewall backend ${backend.backend}: ${backend.why}`,
      ...warnings.map((w) => `warning: ${w}`),
    ].join('\n'));
    return EXIT.ok;
  },
};
