/**
 * `f2b-fw reconcile`: brings the kernel firewall (table `inet f2b-fw`, or the
 * ipsets and `f2b-*` chains of the iptables-ipset backend) in line with the
 * jail configuration and prints the plan; on nftables it also removes stale
 * `f2b-*` iptables chains (fail2ban's leftovers). The whole config, backend
 * choice included, is validated before the first kernel call, so a bad value
 * changes nothing.
 */
import { systemClock } from '../../core/clock.js';
import { loadJailConfig } from '../../config/load.js';
import { firewallLayout } from '../../fw/spec.js';
import { formatPlan, isEmptyPlan } from '../../fw/plan.js';
import { backendName, chooseBackend, openDriver } from '../../fw/backend.js';
import { mergePlans, sweepStaleChains } from '../../daemon/stale-sweep.js';
import { COMMON_OPTIONS, EXIT, type Command } from '../command.js';
import { existsSync } from 'node:fs';
import { F2bError } from '../../core/errors.js';
import type { Plan } from '../../fw/plan.js';
import { BanStore } from '../../bans/store.js';
import { callDaemon } from '../../control/client.js';
import { INSTANCE_OPTIONS, resolveInstance } from '../instance.js';

/** `f2b-fw reconcile [--config-dir DIR] [--dry-run] [--json] [--force]`. */
export const reconcileCommand: Command = {
  name: 'reconcile',
  help: [
    'Usage: f2b-fw reconcile [--config-dir DIR] [--dry-run] [--json] [--force] [--backend NAME]',
    '',
    'Reads the jail configuration, compares the wanted kernel state (nftables: table inet',
    'f2b-fw with sets, base chains, rules per jail; iptables-ipset: ipsets and f2b-<jail>',
    'chains) with what the kernel holds, prints the plan and applies it. Stale f2b-* chains',
    'in iptables\' filter table (fail2ban leftovers) are removed on either backend. When a',
    'daemon runs (control socket), it does the reconcile itself; otherwise the bans come',
    'from the database (--db), or, when there is no database yet, the bans the kernel holds',
    'for jails that remain are kept. The backend is banaction in jail.conf [DEFAULT].',
    '',
    '  --config-dir DIR  configuration directory (default /etc/f2b-fw)',
    '  --db FILE         ban database (default: dbfile in f2b-fw.conf)',
    '  --socket PATH     control socket of a running daemon (default: socket in f2b-fw.conf)',
    '  --dry-run         print the plan, change nothing',
    '  --json            print the plan as JSON',
    '  --force           take over a table inet f2b-fw or f2b-* chains f2b-fw did not create',
    '                    (also while a fail2ban server runs)',
    '  --backend NAME    nftables or ipset (= iptables-ipset), overriding banaction',
  ].join('\n'),
  options: { ...INSTANCE_OPTIONS, 'config-dir': COMMON_OPTIONS['config-dir'], json: COMMON_OPTIONS.json, 'dry-run': { type: 'boolean' }, force: { type: 'boolean' }, backend: { type: 'string' } },
  async run(args, io) {
    const { configDir, settings } = resolveInstance(args);
    const dryRun = args.values['dry-run'] === true;
    const force = args.values.force === true;
    const flag = args.values.backend as string | undefined;
    if (flag !== undefined) backendName(flag);
    // Everything that can be wrong in the config fails here, before the kernel is touched.
    const loaded = loadJailConfig(configDir);
    const layout = firewallLayout(loaded);
    const backend = chooseBackend(flag, loaded, layout).backend;
    const print = (plan: Plan): number => {
      if (args.values.json) io.out(JSON.stringify({ dryRun, applied: !dryRun && !isEmptyPlan(plan), changes: plan.changes }));
      else io.out(`${dryRun && !isEmptyPlan(plan) ? 'dry run, nothing changed; would apply ' : ''}${formatPlan(plan)}`);
      return EXIT.ok;
    };
    try {
      return print(await callDaemon(settings.socket, 'reconcile', { dryRun, force }) as Plan);
    } catch (e) {
      if (!(e instanceof F2bError) || e.code !== 'not-running') throw e;
    }
    const driver = await openDriver(backend, systemClock, (m) => io.err(`warning: ${m}`));
    try {
      const jails = new Set(layout.jails.map((j) => j.name));
      const stored = existsSync(settings.dbfile) ? BanStore.readBans(settings.dbfile, systemClock.now()) : undefined;
      const bans = (stored ?? await driver.list()).filter((b) => jails.has(b.jail));
      const plan = await driver.reconcile(layout, bans, { dryRun, force });
      const stale = await sweepStaleChains(driver.capabilities, { dryRun, force });
      for (const w of stale.warnings) io.err(`warning: ${w}`);
      return print(mergePlans(plan, stale.plan));
    } finally {
      await driver.close();
    }
  },
};
