/**
 * Stable error codes: the same failure reads the same whichever path raised it, and
 * the CLI maps them to exit codes without parsing messages.
 */
export const ErrorCode = {
  /** Bad command-line or API options (exit 2). */
  Usage: 'TESSERA_USAGE',
  /** No filter with that name, or the file does not exist (exit 2). */
  FilterNotFound: 'TESSERA_FILTER_NOT_FOUND',
  /** A filter parameter is unknown, malformed or out of range (exit 2). */
  Param: 'TESSERA_PARAM',
  /** The input path does not exist or holds no images (exit 2). */
  Input: 'TESSERA_INPUT',
  /** The output path cannot be used (exit 2). */
  Output: 'TESSERA_OUTPUT',
  /** A .wasm file breaks filter ABI v1 (exit 2). */
  FilterInvalid: 'TESSERA_FILTER_INVALID',
  /** A filter trapped or aborted while running on a tile. */
  FilterTrap: 'TESSERA_FILTER_TRAP',
  /** An image could not be decoded or encoded. */
  Image: 'TESSERA_IMAGE',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

const USAGE_CODES: ReadonlySet<string> = new Set([
  ErrorCode.Usage,
  ErrorCode.FilterNotFound,
  ErrorCode.Param,
  ErrorCode.Input,
  ErrorCode.Output,
  ErrorCode.FilterInvalid,
]);

/** Every error tessera raises on purpose. `message` is written for the user and is complete on its own. */
export class TesseraError extends Error {
  override name = 'TesseraError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** True for errors the user can fix by changing the command (the CLI exits 2 for these). */
export function isUsageError(err: unknown): err is TesseraError {
  return err instanceof TesseraError && USAGE_CODES.has(err.code);
}

/** The message of anything thrown, without a stack. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
