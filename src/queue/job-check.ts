/**
 * What a worker checks before it touches a tile job. A job is data anyone with write
 * access to Redis can forge, so nothing in it is taken as given: every number is an
 * integer in its range, every key is derived from the run and the sequence number (a job
 * naming another key is refused, so no job makes a worker read or write outside its run's
 * prefix), the filter's identity is a pair of hashes, and the caps a job asks for (memory,
 * deadline, TTL) are lowered to the worker's own.
 */
import { MAX_HALO } from '../filter/abi.js';
import { filterText } from '../filter/filter-text.js';
import type { FilterManifest } from '../filter/manifest.js';
import type { Isolation } from '../strategies/types.js';
import type { RunKeys } from './keys.js';
import { refuseReason, type TileJobData } from './protocol.js';

/** Largest tile side a worker takes: a 8192² tile with its halo is ~270 MB, near Redis' 512 MB value limit. */
export const MAX_JOB_TILE_SIDE = 8192;

/** A worker's own limits; a job asking for more gets these. */
export interface WorkerLimits {
  /** Memory cap of a filter, 64 KiB pages. */
  maxMemoryPages: number;
  /** Longest per-tile deadline, ms. */
  maxTileTimeoutMs: number;
  /** Longest TTL given to a result, ms. */
  maxTtlMs: number;
}

/** A job that passed {@link checkJobShape}, with its caps lowered to the worker's. */
export type CheckedJob = TileJobData & { readonly checked: true };

const HASH = /^[0-9a-f]{128}$/;
const ISOLATIONS: readonly Isolation[] = ['pooled', 'instance'];

const isInt = (v: unknown, min: number, max: number): v is number => typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
const isText = (v: unknown, max: number): v is string => typeof v === 'string' && v.length > 0 && v.length <= max;

/**
 * Checks every field of a job that can be checked without the filter, and returns the job
 * with its caps lowered to `limits`; or a refusal naming the field.
 */
export function checkJobShape(data: unknown, keys: RunKeys, limits: WorkerLimits): CheckedJob | string {
  if (typeof data !== 'object' || data === null) return 'malformed tile job: not an object';
  const d = data as TileJobData;
  const refused = refuseReason(d);
  if (refused) return refused;
  const f = d.filter;
  const bad = (field: string, value: unknown) => `malformed tile job: ${field} ${filterText(JSON.stringify(value) ?? String(value)).slice(0, 80)}`;
  if (d.run !== keys.runId) return bad('run (not the queue it came from)', d.run);
  if (!isInt(d.seq, 0, Number.MAX_SAFE_INTEGER)) return bad('seq', d.seq);
  // Keys are derived, never taken: a job naming any other key would make the worker read or write it.
  if (d.src !== keys.src(d.seq)) return bad('src (not this run\'s key for the tile)', d.src);
  if (d.dst !== keys.dst(d.seq)) return bad('dst (not this run\'s key for the tile)', d.dst);
  if (!isInt(d.width, 1, MAX_JOB_TILE_SIDE) || !isInt(d.height, 1, MAX_JOB_TILE_SIDE)) return bad('size', `${d.width}×${d.height}`);
  if (!isInt(d.halo, 0, MAX_HALO)) return bad('halo', d.halo);
  if (!Array.isArray(d.params) || d.params.length > 4 || !d.params.every((p) => isInt(p, -(2 ** 31), 2 ** 31 - 1))) return bad('params', d.params);
  if (typeof f !== 'object' || f === null || !isText(f.name, 128) || !isText(f.label, 1024) || typeof f.builtin !== 'boolean') return bad('filter', f);
  if (!HASH.test(String(f.plain)) || (f.shared !== undefined && !HASH.test(String(f.shared)))) return bad('filter hash', f.plain);
  if (!isInt(d.maxMemoryPages, 1, 65536)) return bad('maxMemoryPages', d.maxMemoryPages);
  if (!ISOLATIONS.includes(d.isolation)) return bad('isolation', d.isolation);
  if (!isInt(d.tileTimeoutMs, 1, 2 ** 31 - 1)) return bad('tileTimeoutMs', d.tileTimeoutMs);
  if (!isInt(d.ttlMs, 1, 2 ** 31 - 1)) return bad('ttlMs', d.ttlMs);
  if (d.image !== undefined && !isInt(d.image, 0, Number.MAX_SAFE_INTEGER)) return bad('image', d.image);
  if (d.mac !== undefined && (typeof d.mac !== 'string' || !/^[0-9a-f]{64}$/.test(d.mac))) return bad('mac', d.mac);
  return {
    ...d,
    filter: { ...f, label: filterText(f.label) },
    maxMemoryPages: Math.min(d.maxMemoryPages, limits.maxMemoryPages),
    tileTimeoutMs: Math.min(d.tileTimeoutMs, limits.maxTileTimeoutMs),
    ttlMs: Math.min(d.ttlMs, limits.maxTtlMs),
    checked: true,
  };
}

/**
 * Checks a job's params and halo against the filter it names, once the filter is loaded:
 * params as many as the manifest declares and inside its ranges, halo what the filter
 * answers for those params (a smaller one would make it read other tiles' bytes as its own).
 */
export function checkJobFilter(job: CheckedJob, manifest: FilterManifest, halo: (params: number[]) => number): string | undefined {
  if (job.params.length !== manifest.params.length) {
    return `malformed tile job: ${job.params.length} params for filter ${job.filter.label}, which takes ${manifest.params.length}`;
  }
  for (let i = 0; i < manifest.params.length; i++) {
    const spec = manifest.params[i];
    const lo = Math.round(spec.min * spec.scale);
    const hi = Math.round(spec.max * spec.scale);
    if (job.params[i] < lo || job.params[i] > hi) {
      return `malformed tile job: param ${spec.name} = ${job.params[i]} (scaled) is outside ${lo}..${hi} for filter ${job.filter.label}`;
    }
  }
  const expected = halo(job.params);
  if (job.halo !== expected) return `malformed tile job: halo ${job.halo}, but filter ${job.filter.label} needs ${expected} at these params`;
  return undefined;
}
