import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../../core/paths.js';
import { EXIT, type Command } from '../command.js';

/** The package version, read from the package's package.json. */
export function packageVersion(): string {
  return (JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
}

/** `f2b-fw version`: prints the version (JSON with --json). */
export const versionCommand: Command = {
  name: 'version',
  help: 'Usage: f2b-fw version [--json]\n\nPrints the f2b-fw version.',
  options: { json: { type: 'boolean' } },
  async run(args, io) {
    const version = packageVersion();
    io.out(args.values.json ? JSON.stringify({ version, node: process.version }) : `f2b-fw ${version}`);
    return EXIT.ok;
  },
};
