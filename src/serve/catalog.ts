/**
 * The filters the page may run: the built-ins and every `.wasm` in the user's `--filters`
 * directory, each loaded and validated by tessera's own loader (the one `tessera run
 * --filter` uses) before it is listed. A file the loader refuses is listed with the
 * loader's message instead of URLs, so the page shows why — in the CLI's words — and
 * never fetches it. Only files listed here are served.
 */
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { errorMessage } from '../errors.js';
import { BUILTIN_FILTER_DIR } from '../filter/artifacts.js';
import { builtinFilterNames, filterGeometry, filterLabel, loadFilter, type FilterModule, type FilterVariant } from '../filter/filter-module.js';
import { resolveParams } from '../filter/params.js';
import type { ApiFilter, ApiForm } from './api-types.js';

/** A listed filter and, when it loaded, its module. */
interface Entry {
  info: ApiFilter;
  module?: FilterModule;
}

function form(url: string, variant: FilterVariant): ApiForm {
  const { initial, maximum } = variant.limits;
  const stackBytes = (variant as { stackBytes?: number }).stackBytes;
  return { url, memory: { mode: variant.memory, initial, ...(maximum !== undefined ? { maximum } : {}) }, ...(stackBytes ? { stackBytes } : {}) };
}

/** A `.wasm` a user may drop in the directory: the plain form, not a twin or a command form. */
const isFilterFile = (f: string) => f.endsWith('.wasm') && !f.endsWith('.shared.wasm') && !f.endsWith('.wasi.wasm');

export class FilterCatalog {
  private entries = new Map<string, Entry>();
  /** URL path → file: what GET /filters/… may serve. */
  private files = new Map<string, string>();

  /** @param userDir the `--filters` directory, if any (read again at every listing, so new files show up) */
  constructor(private readonly userDir?: string) {}

  /**
   * Loads and lists every filter (built-ins first, then the user's, each sorted by name).
   * Loading a user's filter runs its load-time code in tessera's probe thread, under its deadline.
   */
  list(): ApiFilter[] {
    const entries = new Map<string, Entry>();
    const files = new Map<string, string>();
    for (const name of builtinFilterNames()) {
      const url = `/filters/builtin/${name}`;
      const entry = this.describe(`builtin:${name}`, name, () => loadFilter(name), url);
      entries.set(entry.info.id, entry);
      if (entry.module) {
        files.set(`${url}.wasm`, join(BUILTIN_FILTER_DIR, `${name}.wasm`));
        if (entry.module.shared) files.set(`${url}.shared.wasm`, join(BUILTIN_FILTER_DIR, `${name}.shared.wasm`));
      }
    }
    if (this.userDir) {
      const dir = resolve(this.userDir);
      for (const file of readdirSync(dir).filter(isFilterFile).sort()) {
        const path = join(dir, file);
        const stem = file.slice(0, -'.wasm'.length);
        const url = `/filters/user/${encodeURIComponent(stem)}`;
        const entry = this.describe(`user:${file}`, stem, () => loadFilter(path), url);
        entries.set(entry.info.id, entry);
        const module = entry.module;
        if (!module) continue;
        if (module.plain.memory !== 'imported-shared') files.set(`${url}.wasm`, path);
        if (module.shared) files.set(`${url}.shared.wasm`, module.shared === module.plain ? path : join(dir, `${stem}.shared.wasm`));
      }
    }
    this.entries = entries;
    this.files = files;
    return [...entries.values()].map((e) => e.info);
  }

  private describe(id: string, fallbackName: string, load: () => FilterModule, url: string): Entry {
    const builtin = id.startsWith('builtin:');
    let module: FilterModule;
    let halo: number;
    try {
      module = load();
      halo = filterGeometry(module, resolveParams(module.manifest)).halo;
    } catch (err) {
      return { info: { id, name: fallbackName, description: '', label: fallbackName, builtin, params: [], error: errorMessage(err) } };
    }
    const sharedOnly = module.plain.memory === 'imported-shared';
    return {
      module,
      info: {
        id,
        name: module.name,
        description: module.manifest.description,
        label: filterLabel(module),
        builtin,
        halo,
        params: module.manifest.params.map((p) => ({ ...p })),
        ...(sharedOnly ? {} : { plain: form(`${url}.wasm`, module.plain) }),
        ...(module.shared ? { shared: form(`${url}.shared.wasm`, module.shared) } : {}),
      },
    };
  }

  /** The loaded module listed as `id`, or the loader's message for it. */
  module(id: string): { module?: FilterModule; error?: string } {
    if (this.entries.size === 0) this.list();
    const entry = this.entries.get(id);
    if (!entry) return { error: `unknown filter "${id}"; list them with GET /api/filters` };
    return entry.module ? { module: entry.module } : { error: entry.info.error };
  }

  /** The file behind a listed filter URL (`/filters/builtin/grayscale.wasm`), if it is one. */
  file(urlPath: string): string | undefined {
    return this.files.get(urlPath);
  }
}
