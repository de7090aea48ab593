/**
 * Every shipped sample log's lines, the files interleaved line by line (so date
 * templates change often), with a dateless line after every 7th round: the log of
 * the tests that compare two ways of running filters over many kinds of lines.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RULES_DIR } from '../../src/core/paths.js';

/** The mixed sample lines (see the module comment). */
export function mixedSampleLines(): string[] {
  const samples = join(RULES_DIR, 'samples');
  const files = readdirSync(samples).filter((f) => f.endsWith('.log')).sort()
    .map((f) => readFileSync(join(samples, f), 'utf8').split('\n').filter((l) => l !== '' && !l.startsWith('#')));
  const out: string[] = [];
  for (let i = 0; files.some((f) => i < f.length); i++) {
    for (const f of files) if (i < f.length) out.push(f[i]!);
    if (i % 7 === 0) out.push('a line without any date from 192.0.2.9');
  }
  return out;
}
