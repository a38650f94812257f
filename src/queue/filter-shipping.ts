/**
 * Filters travel by content hash. The coordinator stores each form of the filter the
 * workers may need (the plain-memory `.wasm` for `copy`, the `.shared.wasm` for `shared`)
 * once per run under its hash; a job names the hashes and the ABI. A worker uses its own
 * built-in when the hashes match, otherwise fetches the bytes once, checks their hash and
 * validates them exactly as a local `.wasm` is validated, and compiles each module once
 * per process (cached by hash).
 */
import { ErrorCode, TesseraError } from '../errors.js';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { BUILTIN_FILTER_DIR } from '../filter/artifacts.js';
import { ABI_VERSION } from '../filter/abi.js';
import { builtinFilterNames, contentHash, filterLabel, loadFilter, type FilterModule, type FilterVariant } from '../filter/filter-module.js';
import type { RunKeys } from './keys.js';
import type { FilterRef } from './protocol.js';


/**
 * Bytes a job needs are not in Redis: its run ended, or Redis lost them (a restart without
 * persistence) and the coordinator is putting them back. Not a verdict on the tile: the
 * coordinator, which knows which, resubmits or has already moved on.
 */
export class LostFromRedis extends Error {}

/** One form of a filter to upload: its hash and bytes. */
export interface FilterForm {
  hash: string;
  bytes: Buffer;
}

function readForm(path: string, variant: FilterVariant, what: string): FilterForm {
  const bytes = readFileSync(path);
  const hash = contentHash(bytes);
  if (hash !== variant.hash) throw new Error(`${what}: ${path} changed on disk since the filter was loaded; run again`);
  return { hash, bytes };
}

/** The job's reference to `filter` and the module bytes to store for the workers. */
export function describeFilter(filter: FilterModule): { ref: FilterRef; forms: FilterForm[] } {
  const label = filterLabel(filter);
  const ref: FilterRef = { name: filter.name, label, builtin: filter.builtin, abi: ABI_VERSION, plain: filter.plain.hash };
  if (filter.shared) ref.shared = filter.shared.hash;
  const forms: FilterForm[] = [];
  if (filter.builtin) {
    forms.push(readForm(join(BUILTIN_FILTER_DIR, `${filter.name}.wasm`), filter.plain, label));
    if (filter.shared) forms.push(readForm(join(BUILTIN_FILTER_DIR, `${filter.name}.shared.wasm`), filter.shared, label));
  } else {
    forms.push(readForm(filter.source, filter.plain, label));
    if (filter.shared && filter.shared.hash !== filter.plain.hash) {
      forms.push(readForm(filter.source.replace(/(\.shared)?\.wasm$/, '') + '.shared.wasm', filter.shared, label));
    }
  }
  return { ref, forms };
}

/** Worker side: filters by hash, fetched and compiled once per process. */
export class FilterCache {
  private readonly byHash = new Map<string, Promise<FilterModule>>();

  /** @param dir a private directory for fetched modules (they are validated by the normal loader) */
  constructor(
    private readonly redis: Redis,
    private readonly dir: string,
  ) {
    mkdirSync(dir, { recursive: true });
  }

  /** The filter `ref` names, from the cache, the built-ins or the run's keys. */
  resolve(ref: FilterRef, keys: RunKeys): Promise<FilterModule> {
    const id = `${ref.plain}|${ref.shared ?? ''}`;
    let p = this.byHash.get(id);
    if (!p) {
      p = this.load(ref, keys);
      this.byHash.set(id, p);
      p.catch(() => this.byHash.delete(id));
    }
    return p;
  }

  /** Exactly the modules the job names: a shared form the job does not name is never used. */
  private matches(filter: FilterModule, ref: FilterRef): boolean {
    return filter.plain.hash === ref.plain && filter.shared?.hash === ref.shared;
  }

  private async load(ref: FilterRef, keys: RunKeys): Promise<FilterModule> {
    if (ref.builtin && builtinFilterNames().includes(ref.name)) {
      const local = loadFilter(ref.name);
      // Same name and same bytes: no transfer. Another build of a built-in travels like a user filter.
      if (this.matches(local, ref)) return local;
    }
    const fetchForm = async (hash: string): Promise<Buffer> => {
      const bytes = await this.redis.getBuffer(keys.wasm(hash));
      if (!bytes) throw new LostFromRedis(`filter ${ref.label}: module ${hash.slice(0, 16)}… is not in Redis (the run has ended, its coordinator died, or Redis restarted)`);
      if (contentHash(bytes) !== hash) throw new TesseraError(ErrorCode.FilterUnavailable, `filter ${ref.label}: module ${hash.slice(0, 16)}… arrived with other bytes than its hash says`);
      return bytes;
    };
    // A directory per pair of hashes: the loader finds a `.shared.wasm` twin by file name, so a
    // twin fetched for one job must never sit beside another job's plain module.
    const pairDir = join(this.dir, contentHash(Buffer.from(`${ref.plain}|${ref.shared ?? ''}`)).slice(0, 32));
    mkdirSync(pairDir, { recursive: true });
    const stem = join(pairDir, ref.plain.slice(0, 40));
    writeFileSync(`${stem}.wasm`, await fetchForm(ref.plain));
    if (ref.shared && ref.shared !== ref.plain) writeFileSync(`${stem}.shared.wasm`, await fetchForm(ref.shared));
    let filter: FilterModule;
    try {
      filter = loadFilter(`${stem}.wasm`);
    } catch (err) {
      throw new TesseraError(ErrorCode.FilterUnavailable, `filter ${ref.label}: ${(err as Error).message}`);
    }
    if (!this.matches(filter, ref)) throw new TesseraError(ErrorCode.FilterUnavailable, `filter ${ref.label}: the modules fetched do not match the job's hashes`);
    return filter;
  }
}
