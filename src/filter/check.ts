/**
 * `tessera filters check`: validates a user filter against ABI v1 and runs it on a
 * small synthetic image, tiled and whole, to show whether it keeps the correctness
 * contract (a filter that reads outside its declared halo shows seams here).
 */
import { errorMessage } from '../errors.js';
import { Session } from '../pipeline/session.js';
import { supportedStrategies } from '../strategies/supported.js';
import type { StrategyName } from '../strategies/types.js';
import { loadFilter, filterHalo, type FilterModule } from './filter-module.js';
import { resolveParams, type ParamInput } from './params.js';

/** One check and its outcome. */
export interface CheckStep {
  name: string;
  ok: boolean;
  detail: string;
}

/** What `checkFilter` found. */
export interface FilterCheckReport {
  file: string;
  ok: boolean;
  name?: string;
  exports?: string[];
  imports?: string[];
  memory?: { mode: string; initialPages: number; maximumPages: number | null; shared: boolean };
  halo?: number;
  params?: FilterModule['manifest']['params'];
  strategies?: string[];
  steps: CheckStep[];
}

/** A deterministic test card: gradients, hard edges and noise, so neighbourhood errors show. */
export function testCard(width: number, height: number): Uint8Array {
  const px = new Uint8Array(width * height * 4);
  let seed = 12345;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      const i = (y * width + x) * 4;
      px[i] = (x * 255) / Math.max(1, width - 1);
      px[i + 1] = ((x >> 3) + (y >> 3)) & 1 ? 220 : 30;
      px[i + 2] = seed >>> 24;
      px[i + 3] = 255 - ((y * 3) & 63);
    }
  }
  return px;
}

function firstDifference(a: Uint8Array, b: Uint8Array, width: number, tile: number): string | undefined {
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) {
      const p = i >> 2;
      const x = p % width;
      const y = Math.floor(p / width);
      return `pixel (${x}, ${y}) in tile (${Math.floor(x / tile)}, ${Math.floor(y / tile)}) channel ${i & 3}: tiled ${a[i]}, whole ${b[i]}`;
    }
  }
  return undefined;
}

/**
 * Checks a filter module. Never throws for a bad filter: the report says what failed.
 * @param params filter params by name (defaults otherwise)
 */
export async function checkFilter(path: string, params: ParamInput = {}, tileTimeoutMs = 5000): Promise<FilterCheckReport> {
  const report: FilterCheckReport = { file: path, ok: false, steps: [] };
  let filter: FilterModule;
  try {
    filter = loadFilter(path);
    report.steps.push({ name: 'ABI v1', ok: true, detail: 'exports, imports, memory and data segments are valid; tessera_abi() = 1' });
  } catch (err) {
    report.steps.push({ name: 'ABI v1', ok: false, detail: errorMessage(err) });
    return report;
  }
  const variant = filter.plain;
  report.name = filter.name;
  report.exports = WebAssembly.Module.exports(variant.module).map((e) => `${e.name} (${e.kind})`);
  report.imports = WebAssembly.Module.imports(variant.module).map((i) => `${i.module}.${i.name} (${i.kind})`);
  report.memory = { mode: variant.memory, initialPages: variant.limits.initial, maximumPages: variant.limits.maximum ?? null, shared: variant.limits.shared };
  report.params = filter.manifest.params;
  // disk runs the same command form as pipe, a process per tile: checking pipe covers it at a fraction of the time.
  const strategies: StrategyName[] = supportedStrategies(filter).filter((s) => s !== 'disk');
  report.strategies = strategies;
  try {
    report.halo = filterHalo(filter, resolveParams(filter.manifest, params));
    report.steps.push({ name: 'halo', ok: true, detail: `${report.halo} px at these params` });
  } catch (err) {
    report.steps.push({ name: 'halo', ok: false, detail: errorMessage(err) });
    return report;
  }
  const width = 97;
  const height = 61;
  const card = testCard(width, height);
  for (const strategy of strategies) {
    const run = async (tileSize: number) => {
      const session = new Session({ filter, params, strategy, workers: 1, tileSize, tileTimeoutMs });
      try {
        return await session.filterPixels(card, width, height, 'test card');
      } finally {
        await session.close();
      }
    };
    try {
      const whole = await run(4096);
      const again = await run(4096);
      const deterministic = Buffer.from(whole).equals(Buffer.from(again));
      report.steps.push({ name: `${strategy}: deterministic`, ok: deterministic, detail: deterministic ? 'two whole-image runs are identical' : 'two whole-image runs differ' });
      for (const tile of [16, 7]) {
        const tiled = await run(tile);
        const diff = firstDifference(tiled, whole, width, tile);
        report.steps.push({
          name: `${strategy}: tiles ${tile}×${tile} == whole`,
          ok: diff === undefined,
          detail: diff === undefined ? 'bit-identical' : `seam: ${diff} — does the filter read further than its halo (${report.halo})?`,
        });
      }
    } catch (err) {
      report.steps.push({ name: `${strategy}: run`, ok: false, detail: errorMessage(err) });
    }
  }
  report.ok = report.steps.every((s) => s.ok);
  return report;
}
