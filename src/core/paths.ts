/** Paths inside the installed package, computed once from this file's location. */
import { fileURLToPath } from 'node:url';

/** The package root (the folder holding package.json, rules/, dist*). */
export const PACKAGE_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** The shipped defaults: filter.d/, jail.conf, jail.d/ (used where the config dir lacks a file). */
export const RULES_DIR = fileURLToPath(new URL('../../../rules/', import.meta.url));

/** The CLI entry point as compiled (for spawning the daemon or the CLI in tests). */
export const CLI_ENTRY = fileURLToPath(new URL('../cli/main.js', import.meta.url));
