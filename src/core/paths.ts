/** Paths inside the installed package, computed once from this file's location. */
import { fileURLToPath } from 'node:url';

/**
 * True in the esbuild bundle (packaging/bundle.sh defines it), where every module
 * lives flat in dist/bundle/; undefined in the tsc tree (dist/src/<dir>/<file>.js).
 */
declare const F2B_BUNDLED: true | undefined;
const bundled = typeof F2B_BUNDLED !== 'undefined';
const root = bundled ? '../../' : '../../../';

/** The package root (the folder holding package.json, rules/, dist*). */
export const PACKAGE_ROOT = fileURLToPath(new URL(root, import.meta.url));

/** The shipped defaults: filter.d/, jail.conf, jail.d/ (used where the config dir lacks a file). */
export const RULES_DIR = fileURLToPath(new URL(`${root}rules/`, import.meta.url));

/** The CLI entry point this code runs from (for spawning the daemon or the CLI in tests): in the bundle the bin, f2b-fw.cjs. */
export const CLI_ENTRY = fileURLToPath(new URL(bundled ? './f2b-fw.cjs' : '../cli/main.js', import.meta.url));

/** The bundled program (packaging/bundle.sh's f2b-fw.cjs in the package root, package.json `bin`), whichever tree this code runs from. */
export const BUNDLE_ENTRY = fileURLToPath(new URL('dist/bundle/f2b-fw.cjs', new URL(root, import.meta.url)));
