/**
 * The ban path's tracer (issue 12.1): stage marks from the inotify event to the
 * store commit, timestamped on the monotonic clock every process of the host
 * shares (CLOCK_MONOTONIC through `process.hrtime`), so a benchmark can put its
 * own `write()` and the kernel's element notification on the same axis.
 *
 * Off by default and then free: the code on the path holds an optional
 * `Tracer` and calls `tracer?.mark(STAGE.x)`, with no closure, record or
 * allocation when there is none. On (`F2B_FW_TRACE=FILE` in the environment of `f2b-fw run`), the
 * marks go into preallocated typed arrays, with the process's CPU time (user+sys,
 * all threads: a figure the machine's load does not inflate the way it does wall
 * time) sampled at the stages that happen once per read or per batch (getrusage
 * costs microseconds; per line it would be most of what is measured), and are
 * written to FILE when the daemon stops.
 */
import { writeFileSync } from 'node:fs';

/** The stages in path order; a mark records the stage's index. */
export const STAGES = [
  'inotify', // a watched directory's event reached the source
  'read', // a read of the log file returned bytes
  'line', // a complete line left the splitter
  'hit', // the jail's filter matched a failure in it
  'decision', // the jail's counting decided a ban
  'batch', // the ban manager started a batch (decisions of one tick)
  'send', // the batch's kernel transaction is being sent
  'ack', // the kernel answered it (committed)
  'stored', // the store transaction of the batch committed
  'positions', // read positions gated on the batch were written
] as const;

/** A stage's name. */
export type StageName = (typeof STAGES)[number];

/** Stages marked per line or per decision: they carry the CPU time sampled last instead of their own. */
const PER_ITEM: ReadonlySet<string> = new Set<StageName>(['line', 'hit', 'decision']);

/** Stage name → index, for `mark`. */
export const STAGE = Object.fromEntries(STAGES.map((s, i) => [s, i])) as { readonly [K in StageName]: number };

/** Receives stage marks; absent means no tracing. */
export interface Tracer {
  /** Records that `stage` (an index of STAGES) happened now. */
  mark(stage: number): void;
}

/** Marks kept at most; later ones are dropped (and counted). */
const DEFAULT_CAPACITY = 1 << 22;

/** The monotonic clock in µs (shared by every process of the host). */
export function monotonicMicros(): number {
  return Number(process.hrtime.bigint()) / 1000;
}

/** The environment variable naming the file `f2b-fw run` writes its trace to when it stops. */
export const TRACE_ENV = 'F2B_FW_TRACE';

/** A Tracer recording into fixed arrays; `write` dumps them as `stage µs cpuµs` lines. */
export class TraceRecorder implements Tracer {
  private readonly stages: Uint8Array;
  private readonly times: Float64Array;
  private readonly cpu: Float64Array;
  private count = 0;
  private dropped = 0;
  private lastCpu = 0;
  private readonly sampled = STAGES.map((s) => !PER_ITEM.has(s));

  constructor(capacity = DEFAULT_CAPACITY) {
    this.stages = new Uint8Array(capacity);
    this.times = new Float64Array(capacity);
    this.cpu = new Float64Array(capacity);
  }

  mark(stage: number): void {
    if (this.count === this.stages.length) {
      this.dropped++;
      return;
    }
    if (this.sampled[stage]) {
      const { user, system } = process.cpuUsage();
      this.lastCpu = user + system;
    }
    this.stages[this.count] = stage;
    this.cpu[this.count] = this.lastCpu;
    this.times[this.count++] = monotonicMicros();
  }

  /** Writes every mark to `file`, one `stage µs cpuµs` line each, then `dropped N`. */
  write(file: string): void {
    const out: string[] = [];
    for (let i = 0; i < this.count; i++) out.push(`${STAGES[this.stages[i]!]} ${this.times[i]!.toFixed(1)} ${this.cpu[i]}`);
    out.push(`dropped ${this.dropped}`);
    writeFileSync(file, `${out.join('\n')}\n`);
  }
}

/** A trace mark as `parseTrace` reads it back. */
export interface TraceMark {
  readonly stage: StageName;
  /** Monotonic µs. */
  readonly at: number;
  /** The daemon's CPU time (user+sys) at the mark, µs. */
  readonly cpu: number;
}

/** Reads a file written by `TraceRecorder.write` (the benchmark's side). */
export function parseTrace(text: string): { marks: TraceMark[]; dropped: number } {
  const marks: TraceMark[] = [];
  let dropped = 0;
  for (const line of text.split('\n')) {
    const [name, value, cpu] = line.split(' ');
    if (name === 'dropped') dropped = Number(value);
    else if ((STAGES as readonly string[]).includes(name!) && Number.isFinite(Number(value)) && Number.isFinite(Number(cpu))) {
      marks.push({ stage: name as StageName, at: Number(value), cpu: Number(cpu) });
    }
  }
  return { marks, dropped };
}
