/**
 * The tile job protocol between a coordinator and `tessera worker`s.
 *
 * A job's data is small (keys, sizes, params, the filter's identity); pixels travel as
 * binary values under their own keys:
 * - source: the tile with its halo, (width + 2·halo) × (height + 2·halo) RGBA8, rows packed;
 * - result: width × height RGBA8, rows packed, written by the worker under `dst`.
 * A tile's result has its own key and the coordinator copies it once, so a tile that runs
 * twice (at-least-once delivery after a worker died) is harmless.
 */
import { copyRows, haloOrigin } from '../tiling/rows.js';
import { ABI_VERSION } from '../filter/abi.js';
import type { Isolation, TileTask } from '../strategies/types.js';

/** Version of this job layout; a worker refuses jobs of another. */
export const PROTOCOL_VERSION = 1;

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

/** Data of one tile job. */
export interface TileJobData {
  v: number;
  run: string;
  seq: number;
  /** Key of the source bytes. */
  src: string;
  /** Key the result goes to. */
  dst: string;
  width: number;
  height: number;
  halo: number;
  params: number[];
  filter: FilterRef;
  /** Cap on a filter's memory, pages. */
  maxMemoryPages: number;
  isolation: Isolation;
  /** Per-tile deadline on the worker. */
  tileTimeoutMs: number;
  /** TTL to give the result. */
  ttlMs: number;
  /**
   * Which image of the run the tile belongs to: a worker gives every image fresh filter
   * state (a pooled instance is renewed when the image changes). Absent from older coordinators.
   */
  image?: number;
  /** HMAC of the job and its source bytes, when the run has a shared secret (see auth.ts). */
  mac?: string;
}

/**
 * What a worker pushes on the run's `done` list when it is finished with a tile: the
 * sequence number, or the sequence number and why the tile failed for good.
 */
export function doneMessage(seq: number, failure?: string): string {
  return failure === undefined ? String(seq) : `${seq}\t${failure}`;
}

/** Inverse of {@link doneMessage}. */
export function parseDone(message: string): { seq: number; failure?: string } {
  const tab = message.indexOf('\t');
  if (tab < 0) return { seq: Number(message) };
  return { seq: Number(message.slice(0, tab)), failure: message.slice(tab + 1) };
}

/** Bytes of a source tile with its halo. */
export function sourceBytes(width: number, height: number, halo: number): number {
  return (width + 2 * halo) * (height + 2 * halo) * 4;
}

/** Bytes of a result tile. */
export function resultBytes(width: number, height: number): number {
  return width * height * 4;
}

/**
 * Copies a tile and its halo out of the padded source of `task` into a packed buffer
 * (what `copy` copies into linear memory, here copied into a Redis value instead).
 */
export function packSource(task: TileTask, halo: number, into?: Buffer): Buffer {
  const rowBytes = (task.width + 2 * halo) * 4;
  const rows = task.height + 2 * halo;
  const out = into?.length === rowBytes * rows ? into : Buffer.allocUnsafe(rowBytes * rows);
  copyRows(new Uint8Array(task.src!), haloOrigin(task.srcOffset, task.srcStride, halo), task.srcStride, out, 0, rowBytes, rowBytes, rows);
  return out;
}

/** Copies a packed result into the output of `task`. */
export function unpackResult(result: Uint8Array, task: TileTask): void {
  const rowBytes = task.width * 4;
  if (result.length !== rowBytes * task.height) {
    throw new Error(`tile result has ${result.length} bytes, expected ${rowBytes * task.height} (${task.width}×${task.height} RGBA)`);
  }
  copyRows(result, 0, rowBytes, new Uint8Array(task.dst!), task.dstOffset, task.dstStride, rowBytes, task.height);
}

/**
 * Why this worker must not run `data`, or undefined. A filter built for another ABI
 * would be called with the wrong arguments and produce wrong pixels, silently.
 */
export function refuseReason(data: TileJobData, workerAbi = ABI_VERSION): string | undefined {
  if (data.v !== PROTOCOL_VERSION) {
    return `tile job protocol ${String(data.v)} is not this worker's (${PROTOCOL_VERSION}): run the same tessera version on the coordinator and the workers`;
  }
  if (data.filter?.abi !== workerAbi) {
    return `filter ${data.filter?.label ?? '?'} needs filter ABI ${String(data.filter?.abi)} but this worker implements ABI ${workerAbi}: refusing to run it rather than produce wrong pixels; upgrade the worker (or the coordinator) so both speak the same ABI`;
  }
  const expected = sourceBytes(data.width, data.height, data.halo);
  if (!(expected > 0)) return `malformed tile job: ${data.width}×${data.height} halo ${data.halo}`;
  return undefined;
}
