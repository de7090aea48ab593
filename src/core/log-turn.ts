/**
 * Log lines held back to the end of the event-loop turn that wrote them (issue 12):
 * a burst's `Found` lines are logged while its lines are read, before the ban they
 * lead to reaches the kernel, and each write to stdout (a thread-pool trip, a
 * thread woken) or to the log file (a write(2)) would delay that ban. Held here,
 * they go out together once the turn's synchronous work (the kernel transaction
 * included) is done, in the order they were logged; past LIMITS.turnLogBytes they
 * go out at once, so a flood of lines never piles up in memory. A line can also be
 * held unmade (`later`): its logging call runs at the end of the turn, in its place.
 */
import { LIMITS } from './defaults.js';

/** Runs a function after the current turn's I/O callbacks (setImmediate). */
export type Defer = (fn: () => void) => void;

/** What a held logging call counts for against the byte bound (a Found line's size). */
const CALL_BYTES = 256;

/** Collects lines during a turn and hands them, in order, to `out` after it. */
export class TurnLines {
  private held: (string | (() => void))[] = [];
  private bytes = 0;
  private scheduled = false;
  /** While `flush` runs a held call: where the lines it logs go (in its place). */
  private making: string[] | null = null;

  /** `out` gets the held lines (never an empty list); `defer` schedules the end of the turn. */
  constructor(
    private readonly out: (lines: readonly string[]) => void,
    private readonly defer: Defer = setImmediate,
    private readonly maxBytes: number = LIMITS.turnLogBytes,
  ) {}

  /** Holds `line` for the end of the turn (writes everything held now when over the byte bound). */
  write(line: string): void {
    if (this.making !== null) this.making.push(line);
    else this.hold(line, line.length);
  }

  /** Runs `log` (a call that logs lines through this) at the end of the turn, its lines in its place. */
  later(log: () => void): void {
    this.hold(log, CALL_BYTES);
  }

  /** Hands out every held line now. */
  flush(): void {
    if (this.held.length === 0) return;
    const held = this.held;
    this.held = [];
    this.bytes = 0;
    const lines: string[] = [];
    for (const h of held) {
      if (typeof h === 'string') {
        lines.push(h);
        continue;
      }
      this.making = lines;
      try {
        h();
      } finally {
        this.making = null;
      }
    }
    if (lines.length > 0) this.out(lines);
  }

  private hold(item: string | (() => void), bytes: number): void {
    this.held.push(item);
    this.bytes += bytes;
    if (this.bytes >= this.maxBytes) return this.flush();
    if (this.scheduled) return;
    this.scheduled = true;
    this.defer(() => {
      this.scheduled = false;
      this.flush();
    });
  }
}
