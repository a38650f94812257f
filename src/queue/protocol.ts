/**
 * The image job protocol between a coordinator and `tessera worker`s.
 *
 * The unit of work is a whole image: a worker reads the input, decodes, filters on its own
 * threads with its own strategy, encodes and hands back the output; the coordinator lists
 * inputs, enqueues, tracks and writes what comes back, and never touches pixels. A job's
 * data is small (names, sizes, params, the filter's identity); bytes travel under their
 * own keys, or as paths on storage every machine mounts (`--shared-dir`):
 * - `bytes`: the input file's bytes under `in`, the encoded output under `out`;
 * - `raw`: RGBA8 pixels (rows packed) in and out — `Session.filterPixels` over the queue;
 * - `shared`: paths relative to the shared directory, read and written there by the worker;
 * - `band`: one band of a big image the coordinator streams (decoding and encoding it
 *   itself, never whole): the band's padded source in (its rows, the real rows within the
 *   halo above and below, the clamped borders, as `tiling/padded-image.ts` lays it out),
 *   its filtered rows out. The bands of one image run on every worker at once.
 * An image that runs twice (at-least-once delivery after a worker died) writes the same
 * bytes; the coordinator takes the first answer and writes its output once, atomically.
 */
import { ABI_VERSION } from '../filter/abi.js';
import type { ImageFormat } from '../io/formats.js';

/** Version of this job layout; a worker refuses jobs of another. */
export const PROTOCOL_VERSION = 3;

/** Which filter a job runs: built-ins by name, every module by content hash, and the ABI both sides speak. */
export interface FilterRef {
  /** Manifest name. */
  name: string;
  /** What error messages call it: the built-in's name or the coordinator's path of the `.wasm`. */
  label: string;
  builtin: boolean;
  /** `ABI_VERSION` of the coordinator. */
  abi: number;
  /** BLAKE2b-512 (hex) of the plain-memory module (`copy`). */
  plain: string;
  /** Hash of the shared-memory module (`shared`), when the filter has one. */
  shared?: string;
}

/** How an image's bytes travel. */
export type ImageTransport = 'bytes' | 'raw' | 'shared' | 'band';

/** Data of one image job. */
export interface ImageJobData {
  v: number;
  run: string;
  seq: number;
  transport: ImageTransport;
  /** The input as the coordinator names it (in messages): its path, or the label given to `filterPixels`. */
  name: string;
  /** `bytes`: the input's size, checked on arrival. */
  inputBytes?: number;
  /** `raw`: the pixels' size; `band`: the image's width and the band's rows. */
  width?: number;
  height?: number;
  /** `band`: the halo the padded source carries (the worker checks it is its filter's) and the band's first row in the image (for messages). */
  halo?: number;
  y0?: number;
  /** `shared`: the input and the output, relative to the shared directory. */
  input?: string;
  output?: string;
  /** The output's file extension (its format), e.g. `.png`. */
  ext: string;
  filter: FilterRef;
  /** Param values by name, as the user gave them (the worker checks them against the manifest). */
  params: Record<string, number>;
  tileSize: number;
  maxPixels: number;
  /** Cap on a filter's memory, MiB. */
  filterMemoryMb: number;
  /** Per-tile deadline on the worker. */
  tileTimeoutMs: number;
  /** TTL to give the output. */
  ttlMs: number;
  /** How the output is written (format, quality, PNG level, metadata) and whether the orientation is kept; absent: the defaults. */
  encode?: JobOutput;
  /** HMAC of the job and its input bytes, when the run has a shared secret (see auth.ts). */
  mac?: string;
}

/** The output settings a job carries: those of `tessera run`'s that apply on the worker (names are the coordinator's). */
export interface JobOutput {
  format?: ImageFormat | 'same';
  quality?: number;
  pngLevel?: number;
  strip?: boolean;
  keepOrientation?: boolean;
}

/** What a worker reports of a finished image (the output's bytes travel apart). */
export interface ImageDone {
  width: number;
  height: number;
  layout: string;
  channels: number;
  tiles: number;
  bandRows?: number;
  /** Worker time for the image, ms. */
  ms: number;
  /** The worker that ran it. */
  worker: string;
  /** The format written. */
  format?: ImageFormat;
  /** What the output lost beside the filter (a 16-bit input written 8-bit), naming the image. */
  warnings?: string[];
}

/** A `done` message: the image's sequence number and either its metadata or why it failed for good. */
export type DoneMessage = { seq: number; done: ImageDone } | { seq: number; failure: string };

/** What a worker pushes on the run's `done` list when it is finished with an image. */
export function doneMessage(seq: number, outcome: ImageDone | string): string {
  return `${seq}\t${typeof outcome === 'string' ? `!${outcome}` : JSON.stringify(outcome)}`;
}

/** Inverse of {@link doneMessage}; undefined for a message that is not one. */
export function parseDone(message: string): DoneMessage | undefined {
  const tab = message.indexOf('\t');
  const seq = Number(message.slice(0, tab));
  if (tab < 0 || !Number.isSafeInteger(seq)) return undefined;
  const rest = message.slice(tab + 1);
  if (rest.startsWith('!')) return { seq, failure: rest.slice(1) };
  try {
    const done = JSON.parse(rest) as ImageDone;
    return typeof done === 'object' && done !== null ? { seq, done } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Why this worker must not run `data`, or undefined. A filter built for another ABI
 * would be called with the wrong arguments and produce wrong pixels, silently.
 */
export function refuseReason(data: ImageJobData, workerAbi = ABI_VERSION): string | undefined {
  if (data.v !== PROTOCOL_VERSION) {
    return `image job protocol ${String(data.v)} is not this worker's (${PROTOCOL_VERSION}): run the same tessera version on the coordinator and the workers`;
  }
  if (data.filter?.abi !== workerAbi) {
    return `filter ${data.filter?.label ?? '?'} needs filter ABI ${String(data.filter?.abi)} but this worker implements ABI ${workerAbi}: refusing to run it rather than produce wrong pixels; upgrade the worker (or the coordinator) so both speak the same ABI`;
  }
  return undefined;
}
