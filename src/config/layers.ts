/**
 * Several INI files layered into one store the way fail2ban reads them:
 * each file's `.local` sibling right after it, `[INCLUDES] before/after`
 * (one file per line, relative to the including file, loops ignored, missing
 * files skipped), later values override earlier ones key by key, and every
 * override remembers the value it replaced (for `%(known/key)s`).
 */
import { existsSync, readdirSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import type { ConfigPosition } from '../core/errors.js';
import { readIni, type IniEntry, type IniFile } from './ini.js';

/** `dir/*.ext` sorted by name; empty when the directory does not exist (the `.d` directories of a layered file). */
export function sortedGlob(dir: string, ext: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((f) => f.endsWith(ext)).sort().map((f) => join(dir, f));
}

/** A key's value in one layer, with the layer it replaced. */
export interface Layered {
  readonly value: string;
  readonly pos: ConfigPosition;
  /** Read order of the file that set it (later files have larger numbers). */
  readonly order: number;
  /** The value this one overrode, if any (what `known/` refers to). */
  readonly prev?: Layered;
}

/** Sections are maps of lower-case key → layered value. */
export type LayeredSection = Map<string, Layered>;

/** Every file read, merged. */
export interface LayeredStore {
  readonly defaults: LayeredSection;
  /** Sections by name, in the order they first appeared. */
  readonly sections: Map<string, LayeredSection>;
  /** Files actually read, in order. */
  readonly files: string[];
}

const INCLUDES = 'INCLUDES';

/** Returns an empty store. */
export function emptyStore(): LayeredStore {
  return { defaults: new Map(), sections: new Map(), files: [] };
}

/** `x.conf` → [`x.conf`, `x.local`] when the `.local` exists and is not listed already. */
function withLocals(files: readonly string[]): string[] {
  const out: string[] = [];
  for (const f of files) {
    out.push(f);
    const local = f.replace(/\.[^./]*$/, '') + '.local';
    if (local !== f && !files.includes(local) && existsSync(local)) out.push(local);
  }
  return out;
}

/** Where a missing include may be found instead (the shipped copy of `common.conf`, say). */
export type IncludeFallback = (missing: string) => string | undefined;

interface Reading {
  readonly cache: Map<string, IniFile | null>;
  readonly fallback?: IncludeFallback;
}

/** The files one file pulls in, in read order (before-includes, itself, after-includes). */
function expand(path: string, seen: readonly string[], r: Reading): IniFile[] {
  const { cache } = r;
  if (!cache.has(path)) cache.set(path, readIni(path));
  const ini = cache.get(path)!;
  if (!ini) return [];
  const inc = ini.sections.find((s) => s.name === INCLUDES);
  const side = (key: string): IniFile[] => {
    const entry = inc?.entries.get(key);
    if (!entry) return [];
    const out: IniFile[] = [];
    for (const name of entry.value.split('\n').map((s) => s.trim()).filter((s) => s !== '')) {
      let target = isAbsolute(name) ? name : join(dirname(path), name);
      if (!existsSync(target)) target = r.fallback?.(target) ?? target;
      if (seen.includes(target) || target === path) continue;
      for (const f of withLocals([target])) out.push(...expand(f, [...seen, path], r));
    }
    return out;
  };
  return [...side('before'), ini, ...side('after')];
}

function merge(into: LayeredSection, entries: ReadonlyMap<string, IniEntry>, file: string, section: string, order: number): void {
  for (const e of entries.values()) {
    const prev = into.get(e.key);
    into.set(e.key, {
      value: e.value,
      pos: { file, line: e.line, section, key: e.key, value: e.value },
      order,
      ...(prev ? { prev } : {}),
    });
  }
}

/**
 * Reads `files` (missing ones skipped) with their `.local` siblings and
 * includes, layering each over the previous ones into `store`. An include
 * that does not exist is looked up through `fallback`, if given.
 */
export function readLayered(files: readonly string[], fallback?: IncludeFallback, store: LayeredStore = emptyStore()): LayeredStore {
  const reading: Reading = { cache: new Map(), ...(fallback ? { fallback } : {}) };
  for (const top of withLocals(files)) {
    for (const ini of expand(top, [], reading)) {
      const order = store.files.length;
      store.files.push(ini.file);
      merge(store.defaults, ini.defaults, ini.file, 'DEFAULT', order);
      for (const s of ini.sections) {
        let target = store.sections.get(s.name);
        if (!target) store.sections.set(s.name, (target = new Map()));
        merge(target, s.entries, ini.file, s.name, order);
      }
    }
  }
  return store;
}
