/**
 * Contract between benchmark modules and the runner (bench/run.ts).
 * Each `bench/<area>.bench.ts` exports `bench: BenchModule`; the runner runs
 * them (all, or those named on its command line) and writes docs/benchmarks.md.
 */

/** One measured figure. */
export interface BenchFigure {
  /** What was measured, e.g. `single ban, median latency`. */
  readonly name: string;
  readonly value: number;
  /** Unit of `value`: `µs`, `ms`, `s`, `lines/s`, `MB`, … */
  readonly unit: string;
  /** The target, as text (e.g. `≤ 100 µs`), if there is one. */
  readonly target?: string;
  /** The same measurement for the tool we compare with (fail2ban, spawning `nft`…), if any. */
  readonly compare?: { readonly label: string; readonly value: number };
}

/** A group of figures that one module produced. */
export interface BenchSection {
  readonly title: string;
  /** How to reproduce this section alone, e.g. `npm run bench -- nft`. */
  readonly command: string;
  readonly figures: readonly BenchFigure[];
  /** Method, setup, caveats. */
  readonly notes?: readonly string[];
  /** Markdown the module builds itself (a table of what holds the heap), printed after the notes. */
  readonly markdown?: readonly string[];
}

/** What a `*.bench.ts` file exports as `bench`. */
export interface BenchModule {
  /** Short name used to select it: `npm run bench -- NAME`. */
  readonly name: string;
  run(): Promise<BenchSection>;
}
