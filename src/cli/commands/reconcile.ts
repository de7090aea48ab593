/**
 * `f2b-fw reconcile`: brings table `inet f2b-fw` in line with the jail
 * configuration in one transaction and prints the plan. The whole config is
 * validated before the first kernel call, so a bad value changes nothing.
 */
import { DEFAULTS } from '../../core/defaults.js';
import { systemClock } from '../../core/clock.js';
import { loadJailConfig } from '../../config/load.js';
import { firewallLayout } from '../../fw/spec.js';
import { formatPlan, isEmptyPlan } from '../../fw/plan.js';
import { NftDriver } from '../../fw/nft/driver.js';
import { NftContext } from '../../../native/nftables/context.js';
import { assertFirewallEnvironment } from '../../../native/env.js';
import { COMMON_OPTIONS, EXIT, type Command } from '../command.js';
import { existsSync } from 'node:fs';
import { F2bError } from '../../core/errors.js';
import type { Plan } from '../../fw/plan.js';
import { BanStore } from '../../bans/store.js';
import { callDaemon } from '../../control/client.js';
import { INSTANCE_OPTIONS, resolveInstance } from '../../daemon/paths.js';

/** `f2b-fw reconcile [--config-dir DIR] [--dry-run] [--json] [--force]`. */
export const reconcileCommand: Command = {
  name: 'reconcile',
  summary: 'bring the kernel firewall in line with the configuration (one transaction)',
  help: [
    'Usage: f2b-fw reconcile [--config-dir DIR] [--dry-run] [--json] [--force]',
    '',
    'Reads the jail configuration, compares the wanted nftables state (table inet f2b-fw:',
    'sets, base chains, rules per jail) with what the kernel holds, prints the plan and',
    'applies it as one transaction. When a daemon runs (control socket), it does the',
    'reconcile itself; otherwise the bans come from the database (--db), or, when there',
    'is no database yet, the bans the kernel holds for jails that remain are kept.',
    '',
    '  --config-dir DIR  configuration directory (default /etc/f2b-fw)',
    '  --db FILE         ban database (default: dbfile in f2b-fw.conf)',
    '  --socket PATH     control socket of a running daemon (default: socket in f2b-fw.conf)',
    '  --dry-run         print the plan, change nothing',
    '  --json            print the plan as JSON',
    '  --force           take over a table inet f2b-fw that f2b-fw did not create',
  ].join('\n'),
  options: { ...INSTANCE_OPTIONS, 'config-dir': COMMON_OPTIONS['config-dir'], json: COMMON_OPTIONS.json, 'dry-run': { type: 'boolean' }, force: { type: 'boolean' } },
  async run(args, io) {
    const configDir = typeof args.values['config-dir'] === 'string' ? args.values['config-dir'] : DEFAULTS.configDir;
    const dryRun = args.values['dry-run'] === true;
    // Everything that can be wrong in the config fails here, before the kernel is touched.
    const layout = firewallLayout(loadJailConfig(configDir));
    const { settings } = resolveInstance(args);
    const print = (plan: Plan): number => {
      if (args.values.json) io.out(JSON.stringify({ dryRun, applied: !dryRun && !isEmptyPlan(plan), changes: plan.changes }));
      else io.out(`${dryRun && !isEmptyPlan(plan) ? 'dry run, nothing changed; would apply ' : ''}${formatPlan(plan)}`);
      return EXIT.ok;
    };
    try {
      return print(await callDaemon(settings.socket, 'reconcile', { dryRun, force: args.values.force === true }) as Plan);
    } catch (e) {
      if (!(e instanceof F2bError) || e.code !== 'not-running') throw e;
    }
    assertFirewallEnvironment();
    const driver = new NftDriver(NftContext.open(), systemClock);
    try {
      const jails = new Set(layout.jails.map((j) => j.name));
      const stored = existsSync(settings.dbfile) ? BanStore.readBans(settings.dbfile, systemClock.now()) : undefined;
      const bans = (stored ?? await driver.list()).filter((b) => jails.has(b.jail));
      return print(await driver.reconcile(layout, bans, { dryRun, force: args.values.force === true }));
    } finally {
      await driver.close();
    }
  },
};
