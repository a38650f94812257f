/**
 * What a worker checks before it touches an image job. A job is data anyone with write
 * access to Redis can forge, so nothing in it is taken as given: every number is an
 * integer in its range, the keys it reads and writes are derived from the run and the
 * sequence number (never named by the job), a shared-directory path must stay inside the
 * worker's shared directory, the filter's identity is a pair of hashes, and the caps a job
 * asks for (memory, deadline, TTL, pixels) are lowered to the worker's own. Params are
 * checked against the filter's manifest when the worker's session resolves them, and the
 * worker computes halo and tiling itself.
 */
import { isAbsolute, normalize, sep } from 'node:path';
import { filterText } from '../filter/filter-text.js';
import type { RunKeys } from './keys.js';
import { MAX_VALUE_BYTES } from './keys.js';
import { refuseReason, type ImageJobData, type JobOutput } from './protocol.js';
import { IMAGE_FORMATS, type ImageFormat } from '../io/formats.js';
import { MAX_HALO } from '../filter/abi.js';
import { paddedLayout } from '../tiling/padded-image.js';

/** Bytes of a band job's padded source. */
export function paddedBytes(width: number, rows: number, halo: number): number {
  return paddedLayout(width, rows, halo).byteLength;
}

/** A worker's own limits; a job asking for more gets these. */
export interface WorkerLimits {
  /** Memory cap of a filter, MiB. */
  maxFilterMemoryMb: number;
  /** Longest per-tile deadline, ms. */
  maxTileTimeoutMs: number;
  /** Longest TTL given to an output, ms. */
  maxTtlMs: number;
  /** Largest image, pixels. */
  maxPixels: number;
}

/** A job that passed {@link checkJob}, with its caps lowered to the worker's. */
export type CheckedJob = ImageJobData & { readonly checked: true };

const HASH = /^[0-9a-f]{128}$/;
const TRANSPORTS = ['bytes', 'raw', 'shared', 'band'] as const;

const isInt = (v: unknown, min: number, max: number): v is number => typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
const isText = (v: unknown, max: number): v is string => typeof v === 'string' && v.length > 0 && v.length <= max;

/** Output settings a worker can apply: a known format, quality 1–100, PNG level 0–9, flags; nothing else. */
function isJobOutput(e: unknown): e is JobOutput {
  if (typeof e !== 'object' || e === null || Array.isArray(e)) return false;
  const o = e as Record<string, unknown>;
  const known = ['format', 'quality', 'pngLevel', 'strip', 'keepOrientation'];
  return (
    Object.keys(o).every((k) => known.includes(k)) &&
    (o.format === undefined || o.format === 'same' || IMAGE_FORMATS.includes(o.format as ImageFormat)) &&
    (o.quality === undefined || isInt(o.quality, 1, 100)) &&
    (o.pngLevel === undefined || isInt(o.pngLevel, 0, 9)) &&
    (o.strip === undefined || typeof o.strip === 'boolean') &&
    (o.keepOrientation === undefined || typeof o.keepOrientation === 'boolean')
  );
}

/** A relative path that stays inside the directory it is joined to (no `..`, not absolute, no NUL). */
export function isContainedPath(p: unknown): p is string {
  if (!isText(p, 4096) || p.includes('\0') || isAbsolute(p)) return false;
  const n = normalize(p);
  return n !== '..' && !n.startsWith(`..${sep}`) && n !== '.';
}

/**
 * Checks every field of a job and returns it with its caps lowered to `limits` (and its
 * texts made safe for a log); or a refusal naming the field.
 */
export function checkJob(data: unknown, keys: RunKeys, limits: WorkerLimits): CheckedJob | string {
  if (typeof data !== 'object' || data === null) return 'malformed image job: not an object';
  const d = data as ImageJobData;
  const refused = refuseReason(d);
  if (refused) return refused;
  const f = d.filter;
  const bad = (field: string, value: unknown) => `malformed image job: ${field} ${filterText(JSON.stringify(value) ?? String(value)).slice(0, 80)}`;
  if (d.run !== keys.runId) return bad('run (not the queue it came from)', d.run);
  if (!isInt(d.seq, 0, Number.MAX_SAFE_INTEGER)) return bad('seq', d.seq);
  if (!TRANSPORTS.includes(d.transport)) return bad('transport', d.transport);
  if (!isText(d.name, 4096)) return bad('name', d.name);
  if (!/^\.[a-z0-9]{1,5}$/i.test(String(d.ext))) return bad('ext', d.ext);
  if (d.transport === 'bytes' && !isInt(d.inputBytes, 1, MAX_VALUE_BYTES)) return bad('inputBytes', d.inputBytes);
  if (d.transport === 'raw' || d.transport === 'band') {
    if (!isInt(d.width, 1, 65535) || !isInt(d.height, 1, 65535) || d.width * d.height * 4 > MAX_VALUE_BYTES) return bad('size', `${d.width}×${d.height}`);
  }
  if (d.transport === 'band') {
    if (!isInt(d.halo, 0, MAX_HALO)) return bad('halo', d.halo);
    if (!isInt(d.y0, 0, 2 ** 31 - 1)) return bad('y0', d.y0);
    if (paddedBytes(d.width!, d.height!, d.halo) > MAX_VALUE_BYTES) return bad('size', `${d.width}×${d.height} with a halo of ${d.halo}`);
  }
  if (d.transport === 'shared' && (!isContainedPath(d.input) || !isContainedPath(d.output))) return bad('path (must stay inside the shared directory)', d.transport === 'shared' ? `${d.input} → ${d.output}` : '');
  if (typeof d.params !== 'object' || d.params === null || Array.isArray(d.params)) return bad('params', d.params);
  const params = Object.entries(d.params);
  if (params.length > 4 || !params.every(([k, v]) => isText(k, 64) && typeof v === 'number' && Number.isFinite(v))) return bad('params', d.params);
  if (typeof f !== 'object' || f === null || !isText(f.name, 128) || !isText(f.label, 1024) || typeof f.builtin !== 'boolean') return bad('filter', f);
  if (!HASH.test(String(f.plain)) || (f.shared !== undefined && !HASH.test(String(f.shared)))) return bad('filter hash', f.plain);
  if (!isInt(d.tileSize, 1, 65535)) return bad('tileSize', d.tileSize);
  if (!isInt(d.maxPixels, 1, Number.MAX_SAFE_INTEGER)) return bad('maxPixels', d.maxPixels);
  if (!isInt(d.filterMemoryMb, 1, 65536)) return bad('filterMemoryMb', d.filterMemoryMb);
  if (!isInt(d.tileTimeoutMs, 1, 2 ** 31 - 1)) return bad('tileTimeoutMs', d.tileTimeoutMs);
  if (!isInt(d.ttlMs, 1, 2 ** 31 - 1)) return bad('ttlMs', d.ttlMs);
  if (d.mac !== undefined && (typeof d.mac !== 'string' || !/^[0-9a-f]{64}$/.test(d.mac))) return bad('mac', d.mac);
  if (d.encode !== undefined && !isJobOutput(d.encode)) return bad('encode', d.encode);
  return {
    ...d,
    name: filterText(d.name),
    filter: { ...f, label: filterText(f.label) },
    maxPixels: Math.min(d.maxPixels, limits.maxPixels),
    filterMemoryMb: Math.min(d.filterMemoryMb, limits.maxFilterMemoryMb),
    tileTimeoutMs: Math.min(d.tileTimeoutMs, limits.maxTileTimeoutMs),
    ttlMs: Math.min(d.ttlMs, limits.maxTtlMs),
    checked: true,
  };
}
