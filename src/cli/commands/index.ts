/** Every `f2b-fw` sub-command, in the order `--help` lists them. */
import type { Command } from '../command.js';
import { versionCommand } from './version.js';

export const COMMANDS: readonly Command[] = [
  versionCommand,
];
