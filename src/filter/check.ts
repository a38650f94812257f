/**
 * `tessera filters check`: validates a user filter against ABI v1 and runs it on a
 * small synthetic image, tiled and whole, to show whether it keeps the correctness
 * contract (a filter that reads outside its declared halo shows seams here).
 *
 * First what can be read from the bytes, each form of the filter apart (the plain
 * `.wasm`, its `.shared.wasm` twin, the `.wasi.wasm` command form): imports, start
 * function, memory limits against the memory cap, the shadow stack (shadow-stack.ts). Then the load itself (`loadFilter`,
 * whose probe runs the filter's own code under a deadline), the twins' answers to
 * `halo()` and `scratch_size()` compared in that probe, and the runs on the test card,
 * under the tile deadline and the memory cap.
 */
import { readFileSync, statSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { errorMessage } from '../errors.js';
import { DEFAULT_FILTER_MEMORY_MB, DEFAULT_TILE_SIZE } from '../pipeline/defaults.js';
import { Session } from '../pipeline/session.js';
import { supportedStrategies } from '../strategies/supported.js';
import type { StrategyName } from '../strategies/types.js';
import { ALLOWED_IMPORTS, ALLOWED_WASI_IMPORTS, PAGE } from './abi.js';
import { BUILTIN_FILTER_DIR } from './artifacts.js';
import { inspectWasmBinary, type MemoryLimits, type WasmBinaryInfo, type WasmImport } from './binary.js';
import { filterHalo, gatherFacts, loadFilter, sharedStartReason, type FilterModule, type FilterVariant } from './filter-module.js';
import { manifestDifferences, MANIFEST_SECTION, parseManifest, type FilterManifest } from './manifest.js';
import { findShadowStack, shadowStackProblem, STACK_POINTER_EXPORT } from './shadow-stack.js';
import { resolveParams, type ParamInput } from './params.js';
import { probeInThread, ProbeTimeout, type FilterFacts, type ProbeAsk, type ProbeOutcome } from './probe.js';

/** One check and its outcome. */
export interface CheckStep {
  name: string;
  ok: boolean;
  detail: string;
}

/** One form of the filter, as its bytes declare it. */
export interface FilterFormReport {
  /** `plain` (copy), `shared` (the shared strategy) or `command` (the WASI form, for pipe and disk). */
  form: 'plain' | 'shared' | 'command';
  file: string;
  imports: string[];
  /** Index of its start function, null when it has none. */
  startFunction: number | null;
  memory: { kind: 'imported' | 'defined'; initialPages: number; maximumPages: number | null; shared: boolean } | null;
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
  /** Each form found beside the file (one entry for a module that serves both copy and shared). */
  forms?: FilterFormReport[];
  /** The limits the runs on the test card had. */
  limits?: { tileTimeoutMs: number; filterMemoryMb: number; maxMemoryPages: number };
  steps: CheckStep[];
}

/** Limits of a check's runs. */
export interface CheckOptions {
  /** Per-tile deadline of the runs on the test card, ms (as `--tile-timeout`). @defaultValue 5000 */
  tileTimeoutMs?: number;
  /** Cap on the filter's memory, MiB (as `--filter-memory`). @defaultValue 256 */
  filterMemoryMb?: number;
}

/** The check's default tile deadline: far beyond a tile of the 97×61 test card, short enough for a looping filter. */
const CHECK_TILE_TIMEOUT_MS = 5000;

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

/** A form's file and what its bytes say (or why they could not be read). */
interface Form {
  form: FilterFormReport['form'];
  file: string;
  /** The plain file imports a shared memory: it is the shared form too. */
  alsoShared?: boolean;
  info?: WasmBinaryInfo;
  bytes?: Uint8Array;
  error?: string;
}

function isFile(path: string): boolean {
  return statSync(path, { throwIfNoEntry: false })?.isFile() === true;
}

/** The forms `loadFilter` would load for `nameOrPath` (the same rules as its loadFile), or [] when there is no file to read. */
function findForms(nameOrPath: string): Form[] {
  const isPath = nameOrPath.endsWith('.wasm') || nameOrPath.includes('/') || nameOrPath.includes('\\');
  const file = isPath ? resolve(nameOrPath) : resolve(BUILTIN_FILTER_DIR, `${nameOrPath}.wasm`);
  if (!isFile(file)) return [];
  const read = (form: Form): Form => {
    try {
      form.bytes = new Uint8Array(readFileSync(form.file));
      form.info = inspectWasmBinary(form.bytes);
    } catch (err) {
      form.error = errorMessage(err);
    }
    return form;
  };
  const plain = read({ form: 'plain', file });
  if (!plain.info) return [plain];
  const forms = [plain];
  const stem = file.replace(/(\.shared)?\.wasm$/, '');
  if (plain.info.importedMemory?.shared) plain.alsoShared = true;
  else if (isFile(`${stem}.shared.wasm`)) forms.push(read({ form: 'shared', file: `${stem}.shared.wasm` }));
  if (isFile(`${stem}.wasi.wasm`)) forms.push(read({ form: 'command', file: `${stem}.wasi.wasm` }));
  return forms;
}

function formLabel(f: Form): string {
  const what = f.form === 'plain' ? (f.alsoShared ? 'plain and shared form' : 'plain form') : f.form === 'shared' ? 'shared twin' : 'command form';
  return `${basename(f.file)} (${what})`;
}

function importText(imp: WasmImport, info: WasmBinaryInfo): string {
  return `${imp.module}.${imp.name} (${imp.kind}${imp.kind === 'memory' && info.importedMemory?.shared ? ', shared' : ''})`;
}

function importsStep(forms: Form[]): CheckStep {
  const parts: string[] = [];
  const bad: string[] = [];
  for (const f of forms) {
    if (!f.info) {
      bad.push(`${formLabel(f)}: ${f.error}`);
      continue;
    }
    const allowed = f.form === 'command' ? ALLOWED_WASI_IMPORTS : ALLOWED_IMPORTS;
    const list = allowed.map((a) => `${a.module}.${a.name} (${a.kind})`).join(', ');
    for (const imp of f.info.imports) {
      if (!allowed.some((a) => a.module === imp.module && a.name === imp.name && a.kind === imp.kind)) {
        bad.push(`${formLabel(f)} imports ${imp.module}.${imp.name} (${imp.kind}); it may import only ${list}`);
      }
    }
    parts.push(`${formLabel(f)}: ${f.info.imports.map((i) => importText(i, f.info!)).join(', ') || 'nothing'}`);
  }
  return { name: 'imports', ok: bad.length === 0, detail: bad.length ? bad.join('; ') : parts.join('; ') };
}

function startStep(forms: Form[]): CheckStep {
  const parts: string[] = [];
  const bad: string[] = [];
  for (const f of forms) {
    const start = f.info?.startFunction;
    if (!f.info || start === undefined) continue;
    if (f.form === 'shared' || f.alsoShared) bad.push(`${f.file}: ${sharedStartReason(f.file, start, f.info.functionNames.get(start))}`);
    else if (f.form === 'plain') parts.push(`${formLabel(f)} has one (function ${start}): allowed, it runs at each instantiation over the instance's own memory, before a tile is copied in`);
    else parts.push(`${formLabel(f)} has one (function ${start}): it runs in the filter process before _start`);
  }
  const read = forms.filter((f) => f.info);
  if (bad.length) return { name: 'start function', ok: false, detail: `refused: ${bad.join('\n')}` };
  return { name: 'start function', ok: true, detail: parts.length ? parts.join('; ') : `none in ${read.length === 1 ? 'the module' : `any of the ${read.length} forms`}` };
}

/** Where each form keeps its shadow stack, and whether `shared` can give every thread its own. */
function stackStep(forms: Form[]): CheckStep {
  const parts: string[] = [];
  const bad: string[] = [];
  for (const f of forms) {
    if (!f.info || !f.bytes) continue;
    const stack = findShadowStack(f.bytes, f.info);
    const shared = f.form === 'shared' || f.alsoShared === true;
    const problem = f.form === 'command' ? undefined : shadowStackProblem(stack, shared, f.file);
    if (problem) {
      bad.push(`${f.file}: ${problem}`);
      continue;
    }
    if (!stack?.used) parts.push(`${formLabel(f)}: none`);
    else if (shared) parts.push(`${formLabel(f)}: ${stack.initial} bytes, ${STACK_POINTER_EXPORT} exported: under shared each thread gets a stack of its own`);
    else parts.push(`${formLabel(f)}: ${stack.initial} bytes at [0, ${stack.initial}) of its own memory`);
  }
  if (bad.length) return { name: 'shadow stack', ok: false, detail: `refused: ${bad.join('\n')}` };
  return { name: 'shadow stack', ok: true, detail: parts.join('; ') || 'no form could be read' };
}

const mib = (pages: number) => `${(pages * PAGE) / 2 ** 20} MiB`;

function limitsText(limits: MemoryLimits, kind: 'imported' | 'defined'): string {
  return `${kind}${limits.shared ? ' shared' : ''}, ${limits.initial} pages initial, ${limits.maximum === undefined ? 'no maximum' : `maximum ${limits.maximum}`}`;
}

function memoryStep(forms: Form[], capPages: number, capMb: number): CheckStep {
  const cap = `the cap of ${capPages} pages (${capMb} MiB, --filter-memory)`;
  const parts: string[] = [];
  const bad: string[] = [];
  for (const f of forms) {
    if (!f.info) continue;
    const kind = f.info.importedMemory ? 'imported' : 'defined';
    const limits = f.info.importedMemory ?? f.info.definedMemory;
    const label = formLabel(f);
    if (!limits) {
      bad.push(`${label} has no memory`);
      continue;
    }
    const problems: string[] = [];
    if (limits.initial > capPages) problems.push(`its ${limits.initial} initial pages (${mib(limits.initial)}) are over ${cap}`);
    if ((f.form === 'shared' || f.alsoShared) && !limits.shared) problems.push('it does not import a shared env.memory');
    if (f.form === 'command' || kind === 'defined') {
      // A memory the module defines (and the command form's, under node:wasi) is capped only by its own maximum.
      if (limits.maximum === undefined) problems.push(`it declares no maximum, so nothing caps it within ${cap}`);
      else if (limits.maximum > capPages) problems.push(`its maximum of ${limits.maximum} pages (${mib(limits.maximum)}) is over ${cap}`);
    }
    const how =
      f.form === 'command' || kind === 'defined' ? 'capped by its declared maximum'
      : f.form === 'shared' ? `under shared an image's memory grows at most ${capPages} pages past what the host made`
      : `its private memory (copy) is capped at ${capPages} pages${f.alsoShared ? `; under shared an image's memory grows at most ${capPages} pages past what the host made` : ''}`;
    if (problems.length) bad.push(`${label}: ${limitsText(limits, kind)}: ${problems.join('; ')}`);
    else parts.push(`${label}: ${limitsText(limits, kind)}; ${how}`);
  }
  if (bad.length) return { name: 'memory limits', ok: false, detail: bad.join('; ') };
  return { name: 'memory limits', ok: parts.length > 0, detail: parts.length ? `${parts.join('; ')} (cap ${capPages} pages, ${capMb} MiB)` : 'no form could be read' };
}

/** The manifest a form declares, as the loader reads it (named after the file without one). */
function formManifest(module: WebAssembly.Module, file: string, fallbackName: string): FilterManifest {
  const sections = WebAssembly.Module.customSections(module, MANIFEST_SECTION);
  if (sections.length === 0) return { name: fallbackName, description: '', params: [] };
  return parseManifest(new TextDecoder().decode(sections[0]), file);
}

/** Param sets to compare the twins at: the defaults, each param at its extremes, all at their minima and all at their maxima. */
function paramSets(manifest: FilterManifest): Array<{ label: string; values: Record<string, number> }> {
  const specs = manifest.params;
  const sets: Array<Record<string, number>> = [{}];
  for (const p of specs) sets.push({ [p.name]: p.min }, { [p.name]: p.max });
  if (specs.length > 1) {
    sets.push(Object.fromEntries(specs.map((p) => [p.name, p.min])));
    sets.push(Object.fromEntries(specs.map((p) => [p.name, p.max])));
  }
  const seen = new Set<string>();
  const out: Array<{ label: string; values: Record<string, number> }> = [];
  for (const values of sets) {
    const full = Object.fromEntries(specs.map((p) => [p.name, values[p.name] ?? p.default]));
    const label = specs.length ? specs.map((p) => `${p.name}=${full[p.name]}`).join(', ') : 'no params';
    if (seen.has(label)) continue;
    seen.add(label);
    out.push({ label, values: full });
  }
  return out;
}

function outcomeText(o: ProbeOutcome | undefined): string {
  if (!o) return 'no answer';
  return 'value' in o ? String(o.value) : `a trap (${o.error})`;
}

/** Tile edges `scratch_size` is asked at: the default tile and a small odd one. */
const SCRATCH_TILES = [DEFAULT_TILE_SIZE, 7];

/**
 * The plain module and its shared twin (and the command form's manifest) must agree: the
 * host reads the manifest and asks `halo()` and `scratch_size()` of the plain module only,
 * then runs the twin under `shared` with those answers. The filter's code runs in the
 * probe thread (under its deadline) unless the filter is a built-in.
 */
function twinStep(filter: FilterModule, forms: Form[]): CheckStep {
  const name = 'twin consistency';
  const plainForm = forms.find((f) => f.form === 'plain');
  const twinForm = forms.find((f) => f.form === 'shared');
  const commandForm = forms.find((f) => f.form === 'command');
  const plainLabel = plainForm ? formLabel(plainForm) : 'the plain form';
  const problems: string[] = [];
  const agreed: string[] = [];
  const fallback = basename(filter.source).replace(/(\.shared)?\.wasm$/, '');
  const others: Array<[Form, () => WebAssembly.Module]> = [];
  if (twinForm && filter.shared && filter.shared !== filter.plain) others.push([twinForm, () => filter.shared!.module]);
  if (commandForm && filter.command) others.push([commandForm, () => new WebAssembly.Module(readFileSync(commandForm.file))]);
  for (const [form, module] of others) {
    try {
      const diff = manifestDifferences(filter.manifest, formManifest(module(), form.file, fallback));
      if (diff.length) problems.push(`${formLabel(form)} declares another manifest than ${plainLabel}: ${diff.join(', ')}`);
      else agreed.push(`${formLabel(form)}: same manifest`);
    } catch (err) {
      problems.push(`${formLabel(form)}: ${errorMessage(err)}`);
    }
  }
  if (twinForm && filter.shared && filter.shared !== filter.plain) {
    const sets = paramSets(filter.manifest);
    const ask = (variant: FilterVariant, q: ProbeAsk): FilterFacts => (filter.builtin ? gatherFacts(variant, q) : probeInThread(variant, q));
    compare: for (const set of sets) {
      let params: number[];
      try {
        params = resolveParams(filter.manifest, set.values);
      } catch (err) {
        problems.push(`params ${set.label}: ${errorMessage(err)}`);
        break;
      }
      for (const tile of SCRATCH_TILES) {
        const facts: FilterFacts[] = [];
        for (const [variant, label] of [[filter.plain, plainLabel], [filter.shared, formLabel(twinForm)]] as const) {
          try {
            const f = ask(variant, { params, tileSize: tile });
            if (f.instantiateError !== undefined) {
              problems.push(`${label} cannot be instantiated (${f.instantiateError})`);
              break compare;
            }
            facts.push(f);
          } catch (err) {
            const why = err instanceof ProbeTimeout ? err.message : errorMessage(err);
            problems.push(`${label} at ${set.label}: ${why}`);
            break compare;
          }
        }
        const [p, s] = facts;
        const halo = [outcomeText(p.halo), outcomeText(s.halo)];
        if (halo[0] !== halo[1]) {
          problems.push(`halo() at ${set.label}: ${plainLabel} answers ${halo[0]}, ${formLabel(twinForm)} answers ${halo[1]}`);
          break compare;
        }
        const scratch = [outcomeText(p.scratch), outcomeText(s.scratch)];
        if (scratch[0] !== scratch[1]) {
          problems.push(`scratch_size(${tile}, ${tile}) at ${set.label}: ${plainLabel} answers ${scratch[0]}, ${formLabel(twinForm)} answers ${scratch[1]}`);
          break compare;
        }
      }
    }
    if (problems.length === 0) {
      agreed.push(`same halo() and scratch_size(${SCRATCH_TILES.map((t) => `${t}×${t}`).join(', ')}) at ${sets.length} param set${sets.length > 1 ? 's' : ''} (${sets.map((s) => s.label).join('; ')})`);
    }
  }
  if (problems.length) return { name, ok: false, detail: problems.join('; ') };
  if (others.length === 0) {
    return { name, ok: true, detail: plainForm?.alsoShared ? `${basename(filter.source)} serves copy and shared itself: no twin to compare` : 'no twin beside the module' };
  }
  if (commandForm && filter.command) agreed.push('the command form gets its halo from the host in every frame');
  return { name, ok: true, detail: `${plainLabel} and ${agreed.join('; ')}` };
}

/**
 * Checks a filter module. Never throws for a bad filter: the report says what failed.
 * @param params filter params by name (defaults otherwise)
 * @param options the runs' limits; a number is the tile deadline in ms (the former signature)
 */
export async function checkFilter(path: string, params: ParamInput = {}, options: number | CheckOptions = {}): Promise<FilterCheckReport> {
  const opts: CheckOptions = typeof options === 'number' ? { tileTimeoutMs: options } : options;
  const tileTimeoutMs = opts.tileTimeoutMs ?? CHECK_TILE_TIMEOUT_MS;
  const filterMemoryMb = opts.filterMemoryMb ?? DEFAULT_FILTER_MEMORY_MB;
  const maxMemoryPages = Math.ceil((filterMemoryMb * 2 ** 20) / PAGE);
  const report: FilterCheckReport = { file: path, ok: false, limits: { tileTimeoutMs, filterMemoryMb, maxMemoryPages }, steps: [] };
  // What the bytes say, before any of the filter's code runs.
  let forms: Form[] = [];
  try {
    forms = findForms(path);
    if (forms.some((f) => f.info)) {
      report.forms = forms.filter((f) => f.info).map((f) => {
        const info = f.info!;
        const limits = info.importedMemory ?? info.definedMemory;
        return {
          form: f.form,
          file: f.file,
          imports: info.imports.map((i) => importText(i, info)),
          startFunction: info.startFunction ?? null,
          memory: limits ? { kind: info.importedMemory ? 'imported' : 'defined', initialPages: limits.initial, maximumPages: limits.maximum ?? null, shared: limits.shared } : null,
        };
      });
      report.steps.push(importsStep(forms), startStep(forms), memoryStep(forms, maxMemoryPages, filterMemoryMb), stackStep(forms));
    }
  } catch (err) {
    report.steps.push({ name: 'static checks', ok: false, detail: errorMessage(err) });
  }
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
  try {
    report.steps.push(twinStep(filter, forms));
  } catch (err) {
    report.steps.push({ name: 'twin consistency', ok: false, detail: errorMessage(err) });
  }
  const width = 97;
  const height = 61;
  const card = testCard(width, height);
  const limits = `the check runs each tile under a ${tileTimeoutMs} ms deadline, with the filter's memory capped at ${filterMemoryMb} MiB, where memory.grow returns -1: --tile-timeout and --filter-memory of tessera run`;
  for (const strategy of strategies) {
    const run = async (tileSize: number) => {
      const session = new Session({ filter, params, strategy, workers: 1, tileSize, tileTimeoutMs, filterMemoryMb });
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
      report.steps.push({ name: `${strategy}: run`, ok: false, detail: `${errorMessage(err)} — ${limits}` });
    }
  }
  report.ok = report.steps.every((s) => s.ok);
  return report;
}
