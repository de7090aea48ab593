/**
 * The raw libnftables.so.1 binding through koffi: the C functions f2b-fw uses,
 * typed, and nothing else. Loading fails with an EnvironmentError that names the
 * Debian package to install.
 */
import koffi from 'koffi';
import { EnvironmentError } from '../../src/core/errors.js';

/** Soname of the library; Debian ships it in `libnftables1`. */
export const LIBNFTABLES = 'libnftables.so.1';
/** Debian package providing LIBNFTABLES. */
export const LIBNFTABLES_PACKAGE = 'libnftables1';

/** Output flags from libnftables.h used by f2b-fw. */
export const OUTPUT_FLAGS = {
  /** JSON output; on 1.0.6 it is also what makes JSON *input* parse. */
  json: 1 << 4,
} as const;

koffi.opaque('nft_ctx');

/** Opaque `struct nft_ctx *`. */
export type NftCtxPointer = object;

/** One libnftables function: callable synchronously, or on a worker thread through `.async`. */
export interface NativeFunction<A extends unknown[], R> {
  (...args: A): R;
  async(...args: [...A, (err: unknown, result: R) => void]): void;
}

/** The functions of libnftables that f2b-fw calls. */
export interface LibNftables {
  readonly ctxNew: NativeFunction<[number], NftCtxPointer | null>;
  readonly ctxFree: NativeFunction<[NftCtxPointer], void>;
  readonly outputSetFlags: NativeFunction<[NftCtxPointer, number], void>;
  readonly bufferOutput: NativeFunction<[NftCtxPointer], number>;
  readonly bufferError: NativeFunction<[NftCtxPointer], number>;
  readonly getOutputBuffer: NativeFunction<[NftCtxPointer], string | null>;
  readonly getErrorBuffer: NativeFunction<[NftCtxPointer], string | null>;
  readonly runCmdFromBuffer: NativeFunction<[NftCtxPointer, string], number>;
}

let loaded: LibNftables | undefined;

/**
 * Loads libnftables once per process. `path` overrides the soname (tests use
 * it to check the missing-library message).
 */
export function loadLibNftables(path: string = LIBNFTABLES): LibNftables {
  if (loaded && path === LIBNFTABLES) return loaded;
  let lib: koffi.IKoffiLib;
  try {
    lib = koffi.load(path);
  } catch (e) {
    throw new EnvironmentError(
      `cannot load ${path} (${(e as Error).message.split('\n')[0]}); install the Debian package ${LIBNFTABLES_PACKAGE}: apt-get install ${LIBNFTABLES_PACKAGE}`,
      { cause: e },
    );
  }
  const f = (decl: string): never => lib.func(decl) as never;
  const api: LibNftables = {
    ctxNew: f('nft_ctx *nft_ctx_new(uint32_t flags)'),
    ctxFree: f('void nft_ctx_free(nft_ctx *ctx)'),
    outputSetFlags: f('void nft_ctx_output_set_flags(nft_ctx *ctx, unsigned int flags)'),
    bufferOutput: f('int nft_ctx_buffer_output(nft_ctx *ctx)'),
    bufferError: f('int nft_ctx_buffer_error(nft_ctx *ctx)'),
    getOutputBuffer: f('const char *nft_ctx_get_output_buffer(nft_ctx *ctx)'),
    getErrorBuffer: f('const char *nft_ctx_get_error_buffer(nft_ctx *ctx)'),
    runCmdFromBuffer: f('int nft_run_cmd_from_buffer(nft_ctx *ctx, const char *buf)'),
  };
  if (path === LIBNFTABLES) loaded = api;
  return api;
}
