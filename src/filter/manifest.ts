import { ErrorCode, TesseraError } from '../errors.js';
/**
 * The filter manifest: a filter's name, description and parameters, carried inside
 * the `.wasm` as a custom section so that a module describes itself — for built-in
 * and user-supplied filters alike.
 */

/** Name of the custom section that holds the manifest (UTF-8 JSON). */
export const MANIFEST_SECTION = 'tessera.manifest';

/** At most this many i32 parameters reach `filter` (p0..p3). */
export const MAX_PARAMS = 4;

/** One filter parameter as users see it. */
export interface FilterParamSpec {
  name: string;
  description?: string;
  /** `int` values must be whole numbers; `number` values are passed as round(value × scale). */
  type: 'int' | 'number';
  default: number;
  min: number;
  max: number;
  /** Fixed-point factor applied before the value is passed to WASM as i32 (1 for `int`). */
  scale: number;
}

/**
 * How the filter wants its pixels' alpha: `straight` (RGBA as decoded, the default) or
 * `premultiplied` — the host multiplies each colour by its alpha before the filter runs and
 * divides it out of the filter's output, so the colour of transparent pixels never bleeds
 * into visible ones (what a blur or any weighted sum of neighbours needs; libvips does the
 * same around its convolutions). Rounding: `src/pipeline/alpha.ts`.
 */
export type AlphaMode = 'straight' | 'premultiplied';

/** Every alpha mode a manifest may name, the default first. */
export const ALPHA_MODES: readonly AlphaMode[] = ['straight', 'premultiplied'];

/** What a filter says about itself. */
export interface FilterManifest {
  name: string;
  description: string;
  params: FilterParamSpec[];
  /** Absent means `straight` (a manifest without the field, or a module without a manifest). @defaultValue 'straight' */
  alpha?: AlphaMode;
}

/** The alpha mode a manifest declares, `straight` when it declares none. */
export function alphaMode(manifest: Pick<FilterManifest, 'alpha'>): AlphaMode {
  return manifest.alpha ?? 'straight';
}

function fail(source: string, message: string): never {
  throw new TesseraError(ErrorCode.FilterInvalid, `${source}: invalid manifest: ${message}`);
}

/**
 * Parses and checks a manifest.
 * @param json the manifest text
 * @param source what to name in errors (a file path or a filter name)
 * @throws Error naming `source` and the offending field
 */
export function parseManifest(json: string, source: string): FilterManifest {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (err) {
    fail(source, `not JSON (${(err as Error).message})`);
  }
  if (typeof raw !== 'object' || raw === null) fail(source, 'expected an object');
  const obj = raw as Record<string, unknown>;
  if (typeof obj.name !== 'string' || !/^[a-z0-9][a-z0-9-]*$/.test(obj.name)) {
    fail(source, 'name must be lower-case letters, digits and dashes');
  }
  const params = obj.params ?? [];
  if (!Array.isArray(params)) fail(source, 'params must be an array');
  if (params.length > MAX_PARAMS) fail(source, `at most ${MAX_PARAMS} params are supported, got ${params.length}`);
  const specs = params.map((p: unknown, i: number): FilterParamSpec => {
    const q = p as Record<string, unknown>;
    const where = `params[${i}]`;
    if (typeof q?.name !== 'string' || q.name === '') fail(source, `${where}.name must be a non-empty string`);
    const type = q.type ?? 'int';
    if (type !== 'int' && type !== 'number') fail(source, `${where}.type must be "int" or "number"`);
    for (const key of ['default', 'min', 'max'] as const) {
      if (typeof q[key] !== 'number' || !Number.isFinite(q[key])) fail(source, `${where}.${key} must be a finite number`);
    }
    const scale = q.scale ?? 1;
    if (typeof scale !== 'number' || !(scale >= 1) || !Number.isInteger(scale)) fail(source, `${where}.scale must be a positive integer`);
    if (type === 'int' && scale !== 1) fail(source, `${where}.scale must be 1 for an int param`);
    const spec: FilterParamSpec = {
      name: q.name,
      type,
      default: q.default as number,
      min: q.min as number,
      max: q.max as number,
      scale,
    };
    if (typeof q.description === 'string') spec.description = q.description;
    if (!(spec.min <= spec.default && spec.default <= spec.max)) fail(source, `${where}: need min <= default <= max`);
    if (Math.abs(spec.max * scale) > 2 ** 31 - 1 || Math.abs(spec.min * scale) > 2 ** 31 - 1) {
      fail(source, `${where}: range × scale must fit in an i32`);
    }
    return spec;
  });
  const names = new Set<string>();
  for (const s of specs) {
    if (names.has(s.name)) fail(source, `duplicate param "${s.name}"`);
    names.add(s.name);
  }
  const manifest: FilterManifest = { name: obj.name as string, description: typeof obj.description === 'string' ? obj.description : '', params: specs };
  if (obj.alpha !== undefined) {
    if (!ALPHA_MODES.includes(obj.alpha as AlphaMode)) {
      fail(source, `alpha must be ${ALPHA_MODES.map((m) => `"${m}"`).join(' or ')} (the default is "straight"), got ${JSON.stringify(obj.alpha)}`);
    }
    manifest.alpha = obj.alpha as AlphaMode;
  }
  return manifest;
}

/** How two manifests differ in what the host relies on: the name, the alpha mode and each param's type, range, default and scale. */
export function manifestDifferences(a: FilterManifest, b: FilterManifest): string[] {
  const out: string[] = [];
  if (a.name !== b.name) out.push(`name "${a.name}" vs "${b.name}"`);
  if (alphaMode(a) !== alphaMode(b)) out.push(`alpha "${alphaMode(a)}" vs "${alphaMode(b)}"`);
  const n = Math.max(a.params.length, b.params.length);
  for (let i = 0; i < n; i++) {
    const p = a.params[i];
    const q = b.params[i];
    if (!p || !q) {
      out.push(`param ${i + 1}: ${p ? `"${p.name}"` : 'none'} vs ${q ? `"${q.name}"` : 'none'}`);
      continue;
    }
    for (const key of ['name', 'type', 'min', 'max', 'default', 'scale'] as const) {
      if (p[key] !== q[key]) out.push(`param ${i + 1} ${key}: ${JSON.stringify(p[key])} vs ${JSON.stringify(q[key])}`);
    }
  }
  return out;
}
