/**
 * fail2ban's per-failure `[jail] Found ADDR - TIME` lines, bounded per jail:
 * under a storm of 50,000 failure lines, one log line per failure costs more
 * than banning (JSON, two writes) and floods journald, which drops lines past
 * its own rate limit anyway. Up to LIMITS.foundLinesPerSecond lines a second
 * are written one by one, as fail2ban writes them; the rest are counted and
 * told in one summary line when the second is over. `Ban` lines, which the
 * recidive jail reads, are never summarised.
 */
import type { Clock, Timers } from '../core/clock.js';
import { LIMITS } from '../core/defaults.js';
import { logBanEvent, logLater, type Logger } from '../core/log.js';

/** One jail's Found lines. */
export class FoundLog {
  private windowStart = -Infinity;
  private written = 0;
  private untold = 0;
  private timer: unknown = null;

  constructor(
    private readonly jail: string,
    private readonly log: Logger,
    private readonly clock: Clock,
    private readonly timers: Timers,
    private readonly perSecond: number = LIMITS.foundLinesPerSecond,
  ) {}

  /** A failure of `addr` dated `time` (ms). */
  note(addr: string, time: number): void {
    const now = this.clock.now();
    if (now - this.windowStart >= 1000) {
      this.tell();
      this.windowStart = now;
      this.written = 0;
    }
    if (this.written < this.perSecond) {
      this.written++;
      // Made and written after the turn's kernel transaction (its ban may be in this read).
      logLater(this.log, () => logBanEvent(this.log, 'Found', this.jail, addr, {}, time));
      return;
    }
    this.untold++;
    // One timer per jail and second, so a storm's summary is written even when no line follows it.
    this.timer ??= this.timers.setTimeout(() => this.tell(), 1000);
  }

  /** Writes the summary of the failures not logged one by one, if any. */
  tell(): void {
    if (this.timer !== null) this.timers.clearTimeout(this.timer);
    this.timer = null;
    if (this.untold === 0) return;
    const n = this.untold;
    this.untold = 0;
    this.log.info({ jail: this.jail, event: 'found-summary', count: n },
      `[${this.jail}] Found ${n} more failures (over ${this.perSecond} a second are counted, not logged one by one)`);
  }
}
