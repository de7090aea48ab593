/**
 * Source timings for tests, in a module of their own with no imports beyond a type: the
 * unprivileged source child (source-child.ts) loads it from a copy that has no node_modules.
 */
import type { SourceTuning } from '../../src/sources/source.js';

/** Timings short enough for tests, long enough for a loaded 2-core machine. */
export const TEST_TUNING: Partial<SourceTuning> = {
  pollMs: 100,
  safetyPollMs: 1000,
  retryMinMs: 100,
  retryMaxMs: 400,
  rotationGraceMs: 600,
};
