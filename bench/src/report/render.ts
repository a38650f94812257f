/**
 * Vega-Lite → SVG in Node, at report time: the spec is compiled to Vega, run headless
 * (`renderer: 'none'`) and serialised. No browser, no script in the page.
 */
import * as vega from 'vega';
import * as vl from 'vega-lite';
import { RUNGS } from '../ladder.js';

export type Spec = vl.TopLevelSpec;

/** The report's font stack: the reader's own UI font, nothing fetched. */
export const FONT = 'Inter, "Segoe UI", system-ui, -apple-system, Roboto, "Helvetica Neue", Arial, sans-serif';

/** Colours the charts share, so a strategy or stage has the same colour everywhere. */
export const COLORS = {
  ink: '#1f2430',
  muted: '#5b6272',
  grid: '#e7e9ef',
  /** A rung's colour is part of the rung (ladder.ts); `queue` is the queue backend's `copy` cells. */
  strategy: { ...Object.fromEntries(RUNGS.map((r) => [r.strategy, r.color])), queue: '#b6992d' } as Record<string, string>,
  stage: ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f'],
  workers: ['#a6c8e8', '#4e79a7', '#2c5282', '#1a365d', '#0f2340'],
  tessera: '#e15759',
  peer: '#8d99ae',
  pair: ['#4e79a7', '#a6c8e8'],
} as const;

const THEME = {
  font: FONT,
  background: null,
  padding: { left: 4, right: 12, top: 6, bottom: 4 },
  view: { stroke: null, continuousWidth: 320, continuousHeight: 220 },
  title: { fontSize: 13, fontWeight: 600, color: COLORS.ink, anchor: 'start', offset: 8 },
  header: { labelFontSize: 13, labelFontWeight: 600, labelColor: COLORS.ink, titleFontSize: 12, labelPadding: 6 },
  axis: {
    labelFontSize: 11,
    titleFontSize: 11,
    titleFontWeight: 500,
    labelColor: COLORS.muted,
    titleColor: COLORS.muted,
    gridColor: COLORS.grid,
    domainColor: '#c3c8d4',
    tickColor: '#c3c8d4',
    labelPadding: 4,
    titlePadding: 8,
    labelLimit: 420,
  },
  axisBand: { grid: false, tickSize: 0, domain: false, labelColor: COLORS.ink, labelPadding: 6 },
  legend: { labelFontSize: 11, titleFontSize: 11, titleFontWeight: 500, labelColor: COLORS.ink, titleColor: COLORS.muted, symbolType: 'square', orient: 'top', direction: 'horizontal', offset: 6, labelLimit: 420, columnPadding: 14 },
  bar: { cornerRadiusEnd: 2 },
  line: { strokeWidth: 2.2 },
  point: { size: 50, filled: true },
  text: { fontSize: 10, color: COLORS.ink },
};

const NARROW = new Set([...'il.,:;\'|!()[]{}/\\`ıjI ']);
const SEMI = new Set([...'ftr-"*']);
const WIDE = new Set([...'mwMW×%@—']);

/**
 * Text width for layout without a canvas: vega's own fallback guesses 0.8 em per
 * character, which truncates labels and leaves wide margins; this follows the
 * proportions of the sans-serif faces a browser picks for the report's font stack.
 */
function textWidth(item: { fontSize?: number; fontWeight?: string | number; text?: unknown }, text?: unknown): number {
  const size = item.fontSize ?? 11;
  const value = text ?? item.text;
  const str = Array.isArray(value) ? value.map(String).reduce((a, b) => (a.length > b.length ? a : b), '') : String(value ?? '');
  let em = 0;
  for (const ch of str) {
    if (NARROW.has(ch)) em += 0.32;
    else if (SEMI.has(ch)) em += 0.42;
    else if (WIDE.has(ch)) em += 0.9;
    else if (ch >= '0' && ch <= '9') em += 0.64;
    else if (ch >= 'A' && ch <= 'Z') em += 0.7;
    else em += 0.6;
  }
  const bold = Number(item.fontWeight) >= 600 || item.fontWeight === 'bold';
  return Math.ceil(em * size * (bold ? 1.08 : 1));
}
(vega as unknown as { textMetrics: { width: typeof textWidth } }).textMetrics.width = textWidth;

/** Compiles and renders one Vega-Lite spec to an SVG string. */
export async function renderSvg(spec: Spec): Promise<string> {
  // vega-lite warns on stderr about facets with independent scales over layered data; the charts are checked by eye and by test instead.
  const quiet = { level: () => quiet, error: (...a: unknown[]) => { throw new Error(a.join(' ')); }, warn: () => quiet, info: () => quiet, debug: () => quiet };
  const compiled = vl.compile({ ...spec, config: THEME } as unknown as Spec, { logger: quiet as unknown as NonNullable<Parameters<typeof vl.compile>[1]>["logger"] }).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none', logLevel: vega.Warn });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** A power of ten at or below every value: the baseline of a bar on a log scale (bars cannot start at 0 there). */
export function logFloor(values: number[]): number {
  const min = Math.min(...values.filter((v) => v > 0 && Number.isFinite(v)));
  return Number.isFinite(min) ? 10 ** Math.floor(Math.log10(min)) : 1;
}

/** A power of ten above every value, for a log axis with room for labels. */
export function logCeil(values: number[], headroom = 1): number {
  const max = Math.max(...values.filter((v) => v > 0 && Number.isFinite(v)));
  return Number.isFinite(max) ? 10 ** Math.ceil(Math.log10(max) + headroom * 0.35) : 10;
}

/** Vega expression for millisecond axis labels (value in `datum.value`): µs, ms or s. Data labels are formatted in Node with `formatMs`. */
export const MS_AXIS =
  "datum.value === 0 ? '0' : datum.value >= 1000 ? format(datum.value / 1000, '~r') + ' s' : datum.value >= 1 ? format(datum.value, '~r') + ' ms' : format(datum.value * 1000, '~r') + ' µs'";

/** Vega expression for byte axis labels (value in `datum.value`). */
export const BYTES_AXIS =
  "datum.value >= 1048576 ? format(datum.value / 1048576, '~r') + ' MiB' : datum.value >= 1024 ? format(datum.value / 1024, '~r') + ' KiB' : datum.value + ' B'";

/** Powers of ten from `lo` to `hi`: ticks (and gridlines) of a log axis, one per decade. */
export function decades(lo: number, hi: number): number[] {
  const out: number[] = [];
  for (let e = Math.floor(Math.log10(lo)); 10 ** e <= hi * 1.0001; e++) if (10 ** e >= lo * 0.9999) out.push(10 ** e);
  return out;
}

/** A rendered chart of the report. */
export interface Chart {
  id: string;
  /** The report section it belongs to. */
  group: 'bench' | 'startup';
  title: string;
  /** One or two sentences saying what the chart shows and how to read it. */
  caption: string;
  svg: string;
}
