/**
 * One error type and one table of codes: the same failure reads the same whichever path
 * raised it, and the CLI maps codes to exit codes without parsing messages.
 */

/** Every code tessera raises, with what it means and the exit code of a command it ends. */
export const ERROR_CODES = {
  /** Bad command-line or API options. */
  Usage: { code: 'TESSERA_USAGE', exit: 2 },
  /** No filter with that name, or the file does not exist. */
  FilterNotFound: { code: 'TESSERA_FILTER_NOT_FOUND', exit: 2 },
  /** A filter parameter is unknown, malformed or out of range. */
  Param: { code: 'TESSERA_PARAM', exit: 2 },
  /** The input path does not exist or holds no images. */
  Input: { code: 'TESSERA_INPUT', exit: 2 },
  /** The output path cannot be used. */
  Output: { code: 'TESSERA_OUTPUT', exit: 2 },
  /** A .wasm file breaks filter ABI v1. */
  FilterInvalid: { code: 'TESSERA_FILTER_INVALID', exit: 2 },
  /** A filter trapped, aborted or overran its deadline on a tile (the image fails; the run exits 1). */
  FilterTrap: { code: 'TESSERA_FILTER_TRAP', exit: 1 },
  /** An image could not be decoded or encoded (the image fails; the run exits 1). */
  Image: { code: 'TESSERA_IMAGE', exit: 1 },
  /** A queue worker cannot get a job's filter module from Redis (the job fails for good). */
  FilterUnavailable: { code: 'TESSERA_FILTER_UNAVAILABLE', exit: 1 },
  /** Redis cannot be reached, or stopped answering. */
  RedisUnreachable: { code: 'TESSERA_REDIS_UNREACHABLE', exit: 3 },
  /** A program tessera needs is not installed (e.g. redis-server for a local cluster). */
  MissingTool: { code: 'TESSERA_MISSING_TOOL', exit: 3 },
} as const;

type CodeName = keyof typeof ERROR_CODES;

/** The stable code strings, by name: `ErrorCode.Usage === 'TESSERA_USAGE'`. */
export const ErrorCode = Object.fromEntries(Object.entries(ERROR_CODES).map(([name, e]) => [name, e.code])) as {
  readonly [K in CodeName]: (typeof ERROR_CODES)[K]['code'];
};

export type ErrorCode = (typeof ERROR_CODES)[CodeName]['code'];

const EXIT_BY_CODE: ReadonlyMap<string, number> = new Map(Object.values(ERROR_CODES).map((e) => [e.code, e.exit]));

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
  return exitCodeOf(err) === 2;
}

/** The exit code of a command that ends with `err`: the code table's for a TesseraError, else 1. */
export function exitCodeOf(err: unknown): number {
  return err instanceof TesseraError ? (EXIT_BY_CODE.get(err.code) ?? 1) : 1;
}

/** The message of anything thrown, without a stack. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
