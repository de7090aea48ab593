/** Every `f2b-fw` sub-command, in the order `--help` lists them. */
import type { Command } from '../command.js';
import { versionCommand } from './version.js';
import { statusCommand } from './status.js';
import { banCommand } from './ban.js';
import { unbanCommand } from './unban.js';
import { bannedCommand } from './banned.js';
import { historyCommand } from './history.js';
import { reloadCommand } from './reload.js';
import { stopCommand } from './stop.js';
import { pingCommand } from './ping.js';
import { getCommand } from './get.js';
import { setCommand } from './set.js';

export const COMMANDS: readonly Command[] = [
  versionCommand,
  statusCommand,
  banCommand,
  unbanCommand,
  bannedCommand,
  historyCommand,
  reloadCommand,
  stopCommand,
  pingCommand,
  getCommand,
  setCommand,
];
