/**
 * The page: pick or drop an image, choose a filter and its params, and see the result
 * beside the original with the time of each stage. Every run goes decode → filter (tiles
 * on the worker pool, `shared` when the page is cross-origin isolated, else `copy`) →
 * encode, and the encoded PNG is what "Download" saves.
 */
import type { ApiFilter, ApiLimits } from '../../src/serve/api-types.js';
import { fetchFilters, fetchPlan } from './api.js';
import { drawTileGrid } from './grid-overlay.js';
import { ImageRefused, loadImage, type LoadedImage } from './load-image.js';
import { encodePng } from './png-encode.js';
import { runFilter, type Strategy } from './run-filter.js';
import { TileFailure, TilePool } from './tile-pool.js';
import { describeTile } from './tiles.js';

const $ = <T extends Element>(id: string) => document.getElementById(id) as unknown as T;
const ui = {
  form: $<HTMLFormElement>('controls'),
  image: $<HTMLInputElement>('image'),
  dropZone: $<HTMLElement>('drop-zone'),
  filter: $<HTMLSelectElement>('filter'),
  description: $<HTMLElement>('filter-description'),
  params: $<HTMLFieldSetElement>('params'),
  paramList: $<HTMLElement>('param-list'),
  tile: $<HTMLInputElement>('tile'),
  showGrid: $<HTMLInputElement>('show-grid'),
  run: $<HTMLButtonElement>('run'),
  status: $<HTMLElement>('status'),
  error: $<HTMLElement>('error'),
  original: $<HTMLCanvasElement>('original'),
  result: $<HTMLElement>('result'),
  output: $<HTMLCanvasElement>('output'),
  grid: $<SVGSVGElement>('grid-overlay'),
  timings: $<HTMLElement>('timings'),
  detail: $<HTMLElement>('run-detail'),
  download: $<HTMLAnchorElement>('download'),
  notes: $<HTMLElement>('notes'),
  isolationNote: $<HTMLElement>('isolation-note'),
};

const state = {
  filters: [] as ApiFilter[],
  limits: undefined as ApiLimits | undefined,
  image: undefined as LoadedImage | undefined,
  pool: new TilePool(Math.max(1, navigator.hardwareConcurrency || 1)),
  runs: 0,
  running: false,
  again: false,
  downloadUrl: '',
};

function showError(message: string | undefined): void {
  ui.error.hidden = !message;
  ui.error.textContent = message ?? '';
}

function setStatus(text: string): void {
  ui.status.textContent = text;
}

function showNotes(notes: string[]): void {
  ui.notes.replaceChildren(...notes.map((n) => Object.assign(document.createElement('li'), { textContent: n })));
}

function selectedFilter(): ApiFilter | undefined {
  return state.filters.find((f) => f.id === ui.filter.value);
}

/** The slider values, by param name, as numbers. */
function paramValues(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const input of ui.paramList.querySelectorAll<HTMLInputElement>('input[type=range]')) out[input.name] = Number(input.value);
  return out;
}

function formatValue(value: number, scale: number): string {
  return scale > 1 ? value.toFixed(Math.ceil(Math.log10(scale))) : String(value);
}

/** One labelled range slider per param of the selected filter. */
function renderParams(filter: ApiFilter | undefined): void {
  ui.paramList.replaceChildren();
  ui.params.hidden = !filter || filter.params.length === 0;
  for (const p of filter?.params ?? []) {
    const id = `param-${p.name}`;
    const row = document.createElement('div');
    row.className = 'param';
    const label = Object.assign(document.createElement('label'), { htmlFor: id, textContent: p.name });
    const input = Object.assign(document.createElement('input'), {
      type: 'range', id, name: p.name, min: String(p.min), max: String(p.max), step: p.type === 'int' ? '1' : String(1 / p.scale), value: String(p.default),
    });
    if (p.description) input.title = p.description;
    const output = Object.assign(document.createElement('output'), { htmlFor: id, textContent: formatValue(p.default, p.scale) });
    output.setAttribute('for', id);
    input.addEventListener('input', () => {
      output.textContent = formatValue(Number(input.value), p.scale);
      scheduleRun();
    });
    row.append(label, input, output);
    ui.paramList.append(row);
  }
  ui.description.textContent = filter ? `${filter.description}${filter.halo !== undefined ? ` — halo ${filter.halo} px at the defaults` : ''}` : '';
}

function drawRgba(canvas: HTMLCanvasElement, rgba: Uint8Array, width: number, height: number): void {
  canvas.width = width;
  canvas.height = height;
  // Display only: the canvas premultiplies alpha, which is why pixels never come back from it.
  canvas.getContext('2d')!.putImageData(new ImageData(new Uint8ClampedArray(rgba), width, height), 0, 0);
}

function showTime(id: string, ms: number): void {
  const dd = document.getElementById(id)!;
  dd.textContent = `${ms.toFixed(1)} ms`;
  dd.dataset.ms = String(ms);
}

/** The grid overlay follows its checkbox (a class: SVG elements have no `hidden`). */
function showGrid(): void {
  ui.grid.classList.toggle('on', ui.showGrid.checked);
}

let runTimer: number | undefined;
/** A run soon: sliders fire many events while dragged. */
function scheduleRun(): void {
  clearTimeout(runTimer);
  runTimer = window.setTimeout(() => void runOnce(), 150);
}

/** The strategy for this filter here: `shared` needs cross-origin isolation and a shared form. */
function chooseStrategy(filter: ApiFilter): { strategy: Strategy; note?: string } {
  if (crossOriginIsolated && filter.shared) return { strategy: 'shared' };
  if (!filter.plain) throw new Error(`filter ${filter.label} has only a shared-memory form, which needs a cross-origin isolated page`);
  if (!crossOriginIsolated) return { strategy: 'copy' };
  return { strategy: 'copy', note: `${filter.name} has no shared-memory form (NAME.shared.wasm): tiles are copied into a private memory per worker.` };
}

/** Runs the selected filter on the image; a request made while one runs is run after it. */
async function runOnce(): Promise<void> {
  if (state.running) {
    state.again = true;
    return;
  }
  const image = state.image;
  const filter = selectedFilter();
  if (!image || !filter) return;
  state.running = true;
  ui.result.dataset.state = 'running';
  const run = ++state.runs;
  try {
    showError(undefined);
    if (filter.error) throw new Error(filter.error);
    const tileSize = Number(ui.tile.value);
    const { strategy, note } = chooseStrategy(filter);
    const params = paramValues();
    setStatus(`Running ${filter.name}…`);
    const plan = await fetchPlan({ filter: filter.id, params, tileSize, strategy });
    let filtered;
    try {
      filtered = await runFilter(state.pool, filter, plan, strategy, image.rgba, image.width, image.height, tileSize, !image.hasAlpha);
    } catch (err) {
      // The words tessera run prints for a failed tile or an image too big for a wasm32 memory.
      if (err instanceof TileFailure) throw new Error(`${image.name}: filter ${filter.label} failed on ${describeTile(err.tile)}: ${err.reason}`);
      if (err instanceof RangeError) throw new Error(`${image.name}: ${err.message}`);
      throw err;
    }
    const t0 = performance.now();
    const encoded = encodePng(filtered.output, image.width, image.height, image.hasAlpha);
    const encodeMs = performance.now() - t0;

    drawRgba(ui.output, filtered.output, image.width, image.height);
    drawTileGrid(ui.grid, image.width, image.height, tileSize);
    showGrid();
    showTime('time-decode', image.decodeMs);
    showTime('time-filter', filtered.wallMs);
    showTime('time-encode', encodeMs);
    ui.timings.hidden = false;
    const mpx = (image.width * image.height) / 1e6;
    ui.detail.textContent =
      `${filtered.grid.count} tiles of ${tileSize} px on ${filtered.workers} worker${filtered.workers > 1 ? 's' : ''}, ` +
      `${strategy === 'shared' ? 'shared memory (NAME.shared.wasm)' : 'copy (NAME.wasm, a private memory per worker)'}; ` +
      `halo ${plan.halo} px; ${(mpx / (filtered.wallMs / 1000)).toFixed(1)} Mpx/s filter stage; ${encoded.layout} PNG, ${(encoded.bytes.length / 1024).toFixed(1)} KiB`;
    if (state.downloadUrl) URL.revokeObjectURL(state.downloadUrl);
    state.downloadUrl = URL.createObjectURL(new Blob([encoded.bytes as Uint8Array<ArrayBuffer>], { type: 'image/png' }));
    ui.download.href = state.downloadUrl;
    ui.download.download = `${image.name.replace(/\.[^.]*$/, '')}.${filter.name}.png`;
    ui.download.hidden = false;
    showNotes([...(note ? [note] : []), ...image.notes]);
    setStatus(`${filter.name} done.`);
    Object.assign(ui.result.dataset, { state: 'done', run: String(run), filter: filter.name, params: JSON.stringify(params), tile: String(tileSize), strategy });
  } catch (err) {
    ui.result.dataset.state = 'error';
    setStatus('The run failed.');
    showError((err as Error).message);
  } finally {
    state.running = false;
    if (state.again) {
      state.again = false;
      void runOnce();
    }
  }
}

async function takeFile(file: File | undefined): Promise<void> {
  if (!file || !state.limits) return;
  showError(undefined);
  setStatus(`Decoding ${file.name}…`);
  try {
    state.image = await loadImage(file, state.limits);
  } catch (err) {
    state.image = undefined;
    ui.result.dataset.state = 'error';
    setStatus('The image could not be read.');
    // An ImageRefused carries tessera's own line for the file; anything else names the file here.
    showError(err instanceof ImageRefused ? err.message : `${file.name}: ${(err as Error).message}`);
    return;
  }
  const { image } = state;
  drawRgba(ui.original, image.rgba, image.width, image.height);
  showNotes(image.notes);
  ui.run.disabled = false;
  await runOnce();
}

async function start(): Promise<void> {
  if (!crossOriginIsolated) {
    ui.isolationNote.hidden = false;
    ui.isolationNote.textContent =
      'This page is not cross-origin isolated (no COOP/COEP headers), so it cannot share memory between workers: ' +
      'it runs the copy strategy instead — NAME.wasm with a private memory per worker, each tile copied in and out. The pixels are the same.';
  }
  const list = await fetchFilters();
  state.filters = list.filters;
  state.limits = list.limits;
  ui.tile.value = String(list.limits.tileSize);
  ui.filter.replaceChildren(
    ...list.filters.map((f) => {
      const option = Object.assign(document.createElement('option'), { value: f.id, textContent: f.error ? `${f.name} (cannot be loaded)` : f.builtin ? f.name : `${f.name} (yours)` });
      return option;
    }),
  );
  ui.filter.disabled = false;
  renderParams(selectedFilter());
  setStatus(`Pick an image to start. ${list.filters.length} filters; ${state.pool.size} workers.`);
}

ui.form.addEventListener('submit', (e) => {
  e.preventDefault();
  void runOnce();
});
ui.image.addEventListener('change', () => void takeFile(ui.image.files?.[0]));
ui.filter.addEventListener('change', () => {
  const filter = selectedFilter();
  renderParams(filter);
  showError(filter?.error);
  if (!filter?.error) scheduleRun();
});
ui.tile.addEventListener('input', () => {
  if (Number.isInteger(Number(ui.tile.value)) && Number(ui.tile.value) >= 1) scheduleRun();
});
ui.showGrid.addEventListener('change', showGrid);
for (const type of ['dragenter', 'dragover'] as const) {
  document.addEventListener(type, (e) => {
    e.preventDefault();
    ui.dropZone.classList.add('dropping');
  });
}
document.addEventListener('dragleave', () => ui.dropZone.classList.remove('dropping'));
document.addEventListener('drop', (e) => {
  e.preventDefault();
  ui.dropZone.classList.remove('dropping');
  void takeFile(e.dataTransfer?.files[0]);
});

start().catch((err: unknown) => {
  setStatus('The page could not start.');
  showError((err as Error).message);
});
