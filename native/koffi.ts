/**
 * The one koffi loader. koffi's index.js loads, besides its native addon, its
 * installer's helpers, which pull in node:https, node:zlib, node:crypto and
 * node:stream: ≈ 3.8 MB of RSS in an idle daemon that never downloads
 * anything. The addon itself exports the whole API we use (load, func, errno),
 * so it is required directly from the package's build directory when it is
 * there and of the package's version; otherwise (another platform layout, a
 * rebuilt package) through the package as usual.
 */
import { createRequire } from 'node:module';
import type KoffiModule from 'koffi';

/** The koffi API (the package's default export). */
export type Koffi = typeof KoffiModule;

const require = createRequire(import.meta.url);
let koffi: Koffi | undefined;

/** koffi, loaded on first use. */
export function loadKoffi(): Koffi {
  if (koffi) return koffi;
  try {
    const addon = require(`koffi/build/koffi/${process.platform}_${process.arch}/koffi.node`) as Koffi & { version?: string };
    const { version } = require('koffi/package.json') as { version: string };
    if (addon.version === version) return (koffi = addon);
  } catch {
    /* not this layout: the package's own loader finds its addon */
  }
  return (koffi = require('koffi') as Koffi);
}
