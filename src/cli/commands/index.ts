/** Every `f2b-fw` sub-command, in the order `--help` lists them. */
import type { Command } from '../command.js';
import { versionCommand } from './version.js';
import { testFilterCommand } from './test-filter.js';
import { runCommand } from './run.js';
import { checkConfigCommand } from './check-config.js';
import { importFail2banDbCommand } from './import-fail2ban-db.js';
import { statusCommand } from './status.js';
import { banCommand } from './ban.js';
import { unbanCommand } from './unban.js';
import { bannedCommand } from './banned.js';
import { historyCommand } from './history.js';
import { reloadCommand } from './reload.js';
import { stopCommand } from './stop.js';
import { pingCommand } from './ping.js';
import { flushlogsCommand } from './flushlogs.js';
import { getCommand } from './get.js';
import { setCommand } from './set.js';
import { reconcileCommand } from './reconcile.js';
import { demoCommand } from './demo.js';

export const COMMANDS: readonly Command[] = [
  versionCommand,
  runCommand,
  checkConfigCommand,
  importFail2banDbCommand,
  statusCommand,
  banCommand,
  unbanCommand,
  bannedCommand,
  historyCommand,
  reloadCommand,
  stopCommand,
  pingCommand,
  flushlogsCommand,
  getCommand,
  setCommand,
  reconcileCommand,
  demoCommand,
  testFilterCommand,
];
