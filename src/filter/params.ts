import { ErrorCode, TesseraError } from '../errors.js';
import type { FilterManifest, FilterParamSpec } from './manifest.js';

/** A parameter value as a user gives it: from the CLI a string, from code a number. */
export type ParamInput = Readonly<Record<string, string | number>>;

function formatRange(spec: FilterParamSpec): string {
  return `${spec.type === 'int' ? 'an integer' : 'a number'} between ${spec.min} and ${spec.max}`;
}

/**
 * Checks user parameters against a manifest and converts them to the i32 values
 * `filter` receives (p0..p3; defaults filled in, `number` params scaled).
 * @throws TesseraError Param naming the filter, the parameter and its range
 * @example resolveParams(blur.manifest, { sigma: '2' }) // [200]
 */
export function resolveParams(manifest: FilterManifest, input: ParamInput = {}): number[] {
  const known = new Map(manifest.params.map((p) => [p.name, p]));
  for (const key of Object.keys(input)) {
    if (!known.has(key)) {
      const valid = manifest.params.length ? `valid params: ${manifest.params.map((p) => p.name).join(', ')}` : 'it takes no params';
      throw new TesseraError(ErrorCode.Param, `filter ${manifest.name} has no param "${key}"; ${valid}`);
    }
  }
  return manifest.params.map((spec) => {
    const raw = input[spec.name];
    let value = spec.default;
    if (raw !== undefined) {
      value = typeof raw === 'number' ? raw : raw.trim() === '' ? NaN : Number(raw);
      const ok = Number.isFinite(value) && (spec.type !== 'int' || Number.isInteger(value)) && value >= spec.min && value <= spec.max;
      if (!ok) {
        throw new TesseraError(
          ErrorCode.Param,
          `Expected ${formatRange(spec)} for ${manifest.name}.${spec.name} but received ${JSON.stringify(raw)}`,
        );
      }
    }
    return Math.round(value * spec.scale);
  });
}

/**
 * Parses CLI `key=value` pairs.
 * @throws TesseraError Usage when a pair has no `=`
 */
export function parseParamPairs(pairs: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new TesseraError(ErrorCode.Usage, `--param expects key=value, got "${pair}"`);
    out[pair.slice(0, eq).trim()] = pair.slice(eq + 1);
  }
  return out;
}
