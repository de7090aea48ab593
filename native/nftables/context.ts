/**
 * One shared libnftables context. Commands are JSON documents in, JSON
 * documents out; calls are queued so only one runs at a time, and large
 * batches run on a worker thread through koffi's
 * `.async` so the event loop keeps serving.
 */
import { KernelError, EnvironmentError } from '../../src/core/errors.js';
import { environmentErrorFor } from '../env.js';
import { loadLibNftables, OUTPUT_FLAGS, type LibNftables, type NftCtxPointer } from './library.js';
import type { NftCommand, NftDocument, NftOutputItem } from './json.js';

/** Commands longer than this (characters of JSON) run asynchronously. */
export const ASYNC_THRESHOLD = 16 * 1024;

/** A libnftables context owned by one process. */
export class NftContext {
  private readonly lib: LibNftables;
  private ctx: NftCtxPointer | null;
  private tail: Promise<unknown> = Promise.resolve();

  private constructor(lib: LibNftables, ctx: NftCtxPointer) {
    this.lib = lib;
    this.ctx = ctx;
  }

  /** Loads libnftables (EnvironmentError naming the package when missing) and opens a context. */
  static open(lib: LibNftables = loadLibNftables()): NftContext {
    const ctx = lib.ctxNew(0);
    if (!ctx) throw new EnvironmentError('libnftables could not allocate a context (nft_ctx_new returned NULL)');
    // On libnftables 1.0.6 JSON input is only parsed when JSON output is on.
    lib.outputSetFlags(ctx, OUTPUT_FLAGS.json);
    lib.bufferOutput(ctx);
    lib.bufferError(ctx);
    return new NftContext(lib, ctx);
  }

  /**
   * Runs commands as one transaction and returns the JSON objects libnftables
   * printed (listings), or [] for changes. Throws KernelError with
   * libnftables' error text and the command, or EnvironmentError.
   */
  run(commands: readonly NftCommand[]): Promise<NftOutputItem[]> {
    const doc: NftDocument = { nftables: commands };
    const text = JSON.stringify(doc);
    const result = this.tail.then(() => this.execute(text));
    this.tail = result.catch(() => undefined);
    return result;
  }

  /**
   * Runs `fn` in this context's queue, so kernel writes made outside
   * libnftables (raw netlink batches) keep their order with the commands.
   */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn);
    this.tail = result.catch(() => undefined);
    return result;
  }

  /** Frees the context after the queued calls finish. */
  async close(): Promise<void> {
    await this.tail;
    if (this.ctx) this.lib.ctxFree(this.ctx);
    this.ctx = null;
  }

  private async execute(text: string): Promise<NftOutputItem[]> {
    const ctx = this.ctx;
    if (!ctx) throw new KernelError('libnftables context is closed', text);
    const rc = text.length > ASYNC_THRESHOLD
      ? await new Promise<number>((resolve, reject) => {
        this.lib.runCmdFromBuffer.async(ctx, text, (err, res) => (err ? reject(err as Error) : resolve(res)));
      })
      : this.lib.runCmdFromBuffer(ctx, text);
    const out = this.lib.getOutputBuffer(ctx) ?? '';
    const err = this.lib.getErrorBuffer(ctx) ?? '';
    if (rc !== 0) {
      const errText = err.trim() || `nft_run_cmd_from_buffer returned ${rc}`;
      throw environmentErrorFor(errText) ?? new KernelError(`libnftables: ${errText}`, text);
    }
    if (out.trim() === '') return [];
    const parsed = JSON.parse(out) as { nftables?: NftOutputItem[] };
    return parsed.nftables ?? [];
  }
}
