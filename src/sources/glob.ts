/**
 * `logpath` patterns as fail2ban (Python's glob) reads them: `*`, `?` and `[…]`
 * (`[!…]` negates) in any path segment; a wildcard does not match a leading dot
 * unless the pattern segment starts with one. Expansion also says which
 * directories hold the candidates, so new matching files can be watched for.
 */
import { readdir, stat } from 'node:fs/promises';
import { isAbsolute, join, resolve, sep } from 'node:path';

/** True when the text holds glob wildcards. */
export function hasMagic(text: string): boolean {
  return /[*?[]/.test(text);
}

/** Translates one path segment's pattern into an anchored RegExp. */
export function segmentRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const close = pattern.indexOf(']', i + 2);
      if (close === -1) {
        re += '\\[';
        continue;
      }
      let body = pattern.slice(i + 1, close);
      const negate = body.startsWith('!');
      if (negate) body = body.slice(1);
      re += `[${negate ? '^' : ''}${body.replace(/[\\^\]]/g, '\\$&')}]`;
      i = close;
    } else re += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, 'u');
}

/** True when `name` matches the segment pattern (leading dots only matched literally). */
export function segmentMatches(pattern: string, re: RegExp, name: string): boolean {
  if (name.startsWith('.') && !pattern.startsWith('.')) return false;
  return re.test(name);
}

/** The result of expanding one pattern. */
export interface GlobExpansion {
  /** Directories the last segment is looked up in (watched for new files). */
  readonly dirs: readonly string[];
  /** Matching regular files (for a literal path: the path itself, existing or not). */
  readonly files: readonly string[];
  /** Directories searched for a wildcard directory segment (watched for new subdirectories). */
  readonly parents: readonly string[];
  /** Directories that exist but could not be listed (permission denied, not a directory). */
  readonly failed: ReadonlyMap<string, Error>;
}

async function isDir(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/** Entries of `dir`; a directory that cannot be listed (other than missing) goes to `failed`. */
async function names(dir: string, failed: Map<string, Error>): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') failed.set(dir, err as Error);
    return [];
  }
}

/** Expands a pattern (relative ones against the working directory). */
export async function expandGlob(pattern: string): Promise<GlobExpansion> {
  const abs = isAbsolute(pattern) ? pattern : resolve(pattern);
  const failed = new Map<string, Error>();
  if (!hasMagic(abs)) return { dirs: [join(abs, '..')], files: [abs], parents: [], failed };
  const segments = abs.split(sep).filter((s) => s !== '');
  const last = segments.pop()!;
  let dirs: string[] = [sep];
  const parents: string[] = [];
  for (const seg of segments) {
    if (!hasMagic(seg)) {
      dirs = dirs.map((d) => join(d, seg));
      continue;
    }
    const re = segmentRegExp(seg);
    const next: string[] = [];
    parents.push(...dirs);
    for (const d of dirs) {
      for (const name of (await names(d, failed)).sort()) {
        if (segmentMatches(seg, re, name) && (await isDir(join(d, name)))) next.push(join(d, name));
      }
    }
    dirs = next;
  }
  if (!hasMagic(last)) return { dirs, files: dirs.map((d) => join(d, last)), parents, failed };
  const re = segmentRegExp(last);
  const files: string[] = [];
  for (const d of dirs) {
    for (const name of (await names(d, failed)).sort()) {
      if (!segmentMatches(last, re, name)) continue;
      const path = join(d, name);
      try {
        if ((await stat(path)).isFile()) files.push(path);
      } catch {
        /* vanished between readdir and stat: the next rescan settles it */
      }
    }
  }
  return { dirs, files, parents, failed };
}
