/**
 * Records the configuration loader hands to the rest of f2b-fw. The loader
 * (layering, includes, interpolation) produces RawSection values; typed
 * readers (jail settings, the kernel side) turn them into typed records and
 * raise ConfigError with the exact position of a bad value.
 */
import type { ConfigPosition } from '../core/errors.js';

/** One key's final value after layering and interpolation, with where it was set. */
export interface Setting {
  readonly value: string;
  /** File, line, section, key and value of the line that set it. */
  readonly pos: ConfigPosition;
}

/** A section after layering ([DEFAULT] merged in) and `%(var)s` interpolation. */
export interface RawSection {
  readonly name: string;
  readonly settings: ReadonlyMap<string, Setting>;
}
