/** Builds filter definitions (RawSection) in tests, as loadFilterDefinition returns them. */
import type { RawSection, Setting } from '../../src/config/types.js';
import type { Line } from '../../src/core/records.js';

/** A `[Definition]` from plain key → value (multi-line values joined with `\n`). */
export function filterDef(values: Record<string, string>, name = 'test'): RawSection {
  const settings = new Map<string, Setting>();
  for (const [key, value] of Object.entries(values)) {
    settings.set(key, { value, pos: { file: `${name}.conf`, section: 'Definition', key, value } });
  }
  return { name, settings };
}

/** A log line read at `readAt`. */
export function line(text: string, readAt = Date.UTC(2026, 10, 21, 6, 0, 0)): Line {
  return { source: 'test.log', text, readAt };
}
