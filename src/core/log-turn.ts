/**
 * Log lines held back to the end of the event-loop turn that wrote them (issue 12):
 * a burst's `Found` lines are logged while its lines are read, before the ban they
 * lead to reaches the kernel, and each write to stdout (a thread-pool trip, a
 * thread woken) or to the log file (a write(2)) would delay that ban. Held here,
 * they go out together once the turn's synchronous work (the kernel transaction
 * included) is done, in the order they were logged; past LIMITS.turnLogBytes they
 * go out at once, so a flood of lines never piles up in memory.
 */
import { LIMITS } from './defaults.js';

/** Runs a function after the current turn's I/O callbacks (setImmediate). */
export type Defer = (fn: () => void) => void;

/** Collects lines during a turn and hands them, in order, to `out` after it. */
export class TurnLines {
  private lines: string[] = [];
  private bytes = 0;
  private scheduled = false;

  /** `out` gets the held lines (never an empty list); `defer` schedules the end of the turn. */
  constructor(
    private readonly out: (lines: readonly string[]) => void,
    private readonly defer: Defer = setImmediate,
    private readonly maxBytes: number = LIMITS.turnLogBytes,
  ) {}

  /** Holds `line` for the end of the turn (writes everything held now when over the byte bound). */
  write(line: string): void {
    this.lines.push(line);
    this.bytes += line.length;
    if (this.bytes >= this.maxBytes) return this.flush();
    if (this.scheduled) return;
    this.scheduled = true;
    this.defer(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  /** Hands out every held line now. */
  flush(): void {
    if (this.lines.length === 0) return;
    const lines = this.lines;
    this.lines = [];
    this.bytes = 0;
    this.out(lines);
  }
}
