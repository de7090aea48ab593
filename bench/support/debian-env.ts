/**
 * The environment benchmarks run f2b-fw in: what a Debian server gives it.
 * This development machine sets variables a Debian server (and the systemd
 * unit, which sets none) does not; NODE_EXTRA_CA_CERTS makes every Node
 * process read and parse a CA bundle at start-up (≈ 400 M instructions,
 * ≈ 45 ms on a quiet machine), which would swamp the CLI and daemon start-up
 * figures. bench/child.ts removes them before a module loads, so every
 * process a benchmark starts (daemons, CLI commands, hyperfine, the shared
 * harness) runs without them; the CLI bench shows their cost in one row.
 */

/** Variables set here and not on a Debian server. */
const NOT_ON_DEBIAN = ['NODE_EXTRA_CA_CERTS'] as const;

let removed: Readonly<Record<string, string>> = {};

/** Removes NOT_ON_DEBIAN from this process's environment (inherited by every child); remembers their values. */
export function useDebianEnv(): void {
  const found: Record<string, string> = {};
  for (const name of NOT_ON_DEBIAN) {
    const value = process.env[name];
    if (value !== undefined) found[name] = value;
    delete process.env[name];
  }
  removed = { ...removed, ...found };
}

/** The variables useDebianEnv removed, with their values (empty when none was set). */
export function removedEnv(): Readonly<Record<string, string>> {
  return removed;
}

/** The line a bench's notes carry about it. */
export function debianEnvNote(): string {
  const names = Object.keys(removed);
  return names.length === 0
    ? `Run without ${NOT_ON_DEBIAN.join(', ')} (none was set), as on a Debian server.`
    : `Every process runs without ${names.map((n) => `${n}=${removed[n]}`).join(', ')}, which this machine sets and a Debian server (and the systemd unit) does not.`;
}
