/** A batch of commands collected by the caller and sent as one transaction. */
import type { NftContext } from './context.js';
import type { NftCommand, NftOutputItem } from './json.js';

/** Commands to run together: all or nothing. */
export class NftBatch {
  private readonly commands: NftCommand[] = [];

  /** Appends commands; order is kept (the kernel applies them in order). */
  push(...commands: readonly NftCommand[]): this {
    for (const c of commands) this.commands.push(c);
    return this;
  }

  /** Number of commands queued. */
  get size(): number {
    return this.commands.length;
  }

  /** The queued commands. */
  list(): readonly NftCommand[] {
    return this.commands;
  }

  /** Sends everything as one transaction (nothing when empty). */
  async flush(ctx: NftContext): Promise<NftOutputItem[]> {
    if (this.commands.length === 0) return [];
    return ctx.run(this.commands);
  }
}
