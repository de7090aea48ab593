/**
 * `f2b-fw import-fail2ban-db PATH`: copies the bans in force from a fail2ban
 * 0.11–1.1 database into f2b-fw's store, keeping their remaining time and ban
 * counts. A running daemon is then asked to reconcile so they reach the kernel
 * at once; otherwise they are restored at the next start.
 */
import { EXIT, type Command } from '../command.js';
import { F2bError } from '../../core/errors.js';
import { readFail2banDb } from '../../bans/import-fail2ban.js';
import { BanStore } from '../../bans/store.js';
import { callDaemon } from '../../control/client.js';
import { INSTANCE_OPTIONS, INSTANCE_OPTIONS_HELP, resolveInstance } from '../instance.js';

export const importFail2banDbCommand: Command = {
  name: 'import-fail2ban-db',
  help: [
    'Usage: f2b-fw import-fail2ban-db PATH [--config-dir DIR] [--db FILE] [--socket PATH] [--json]',
    '',
    'Reads the bans still in force from a fail2ban 0.11-1.1 database (usually',
    '/var/lib/fail2ban/fail2ban.sqlite3; tables bips/bans) and adds them to',
    "f2b-fw's database with their original expiry and ban count. Bans of jails",
    'that f2b-fw does not configure are kept in the database but not applied.',
    'If a daemon runs, it is asked to reconcile so the bans reach the kernel now.',
    '',
    'Options:',
    INSTANCE_OPTIONS_HELP,
    '  --json             machine-readable summary',
  ].join('\n'),
  options: { ...INSTANCE_OPTIONS, json: { type: 'boolean' } },
  async run(args, io) {
    const [path, ...extra] = args.positionals;
    if (path === undefined || extra.length > 0) throw new F2bError('usage', 'expected exactly one PATH (the fail2ban database)');
    const { settings } = resolveInstance(args);
    const now = Date.now();
    const read = readFail2banDb(path, now);
    const store = BanStore.open(settings.dbfile);
    let imported: number;
    try {
      imported = store.importBans(read.inForce.map((b) => ({ ...b, reason: 'imported from fail2ban' })));
    } finally {
      store.close();
    }
    let daemon: 'reconciled' | 'not running' = 'not running';
    try {
      await callDaemon(settings.socket, 'reconcile', {});
      daemon = 'reconciled';
    } catch (e) {
      if (!(e instanceof F2bError) || e.code !== 'not-running') throw e;
    }
    const jails = [...new Set(read.inForce.map((b) => b.jail))].sort();
    const summary = { source: path, table: read.table, rows: read.rows, inForce: read.inForce.length, imported, skipped: read.inForce.length - imported, unreadable: read.unreadable, jails, daemon };
    io.out(args.values.json ? JSON.stringify(summary) : [
      `read ${read.rows} row(s) from ${path} (table ${read.table}): ${read.inForce.length} ban(s) in force`,
      `imported ${imported} into ${settings.dbfile}${summary.skipped ? ` (${summary.skipped} already held for as long or longer)` : ''}${read.unreadable ? `, ${read.unreadable} unreadable row(s) left out` : ''}`,
      `jails: ${jails.join(', ') || 'none'}`,
      daemon === 'reconciled' ? 'the running daemon applied them' : 'no daemon running: they are applied at the next start',
    ].join('\n'));
    return EXIT.ok;
  },
};
