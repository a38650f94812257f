/**
 * The report's charts as Vega-Lite specs, rendered to SVG in Node at report time
 * (no browser, no CDN: the SVG is inlined into the page).
 */
import { countOf, formatMpx, formatMs, formatRatio } from '../format.js';
import { filterLabel } from '../labels.js';
import { BENCH_STRATEGIES } from '../ladder.js';
import type { StartupReport } from '../startup/types.js';
import type { BenchReport, BenchResult, BigImageRun } from '../types.js';
import { COLORS, decades, logCeil, logFloor, MS_AXIS, renderSvg, type Spec } from './render.js';
import { startupCharts } from './startup-charts.js';
import type { Chart } from './render.js';

/** One rendered chart. */

/** Order of the rungs, bottom of the ladder first. */
const STRATEGY_ORDER: readonly string[] = BENCH_STRATEGIES;

const rank = (strategy: string) => {
  const i = STRATEGY_ORDER.indexOf(strategy);
  return i < 0 ? STRATEGY_ORDER.length : i;
};

function workerCounts(results: BenchResult[]): number[] {
  return [...new Set(results.map((r) => r.workers))].sort((a, b) => a - b);
}

const workersLabel = (w: number) => countOf(w, 'worker');

/** The ladder: end-to-end wall time of every rung at every worker count, log scale. */
async function ladderChart(bench: BenchReport): Promise<Chart | undefined> {
  const rows = bench.results.filter((r) => r.kind === 'tessera' && STRATEGY_ORDER.includes(r.strategy));
  if (!rows.length) return undefined;
  const counts = workerCounts(rows);
  const values = rows.map((r) => ({ panel: filterLabel(bench, r.filter), strategy: r.strategy, workers: workersLabel(r.workers), v: r.medianMs, label: formatMs(r.medianMs) }));
  const lo = logFloor(values.map((v) => v.v));
  const hi = logCeil(values.map((v) => v.v));
  const disk = rows.filter((r) => r.strategy === 'disk');
  const best = rows.filter((r) => r.strategy !== 'disk').sort((a, b) => a.medianMs - b.medianMs)[0];
  return {
    id: 'ladder',
    group: 'bench',
    title: 'The ladder: every rung at every worker count',
    caption:
      `Median wall time for the whole data set, files in to files out, on a log scale (each gridline is 10×). ` +
      (disk.length && best
        ? `A process per tile (disk) sits two orders of magnitude above the in-memory rungs: ${formatMs(disk[0].medianMs)} against ${formatMs(best.medianMs)} for the fastest rung.`
        : 'Lower is better.'),
    svg: await renderSvg({
      data: { values },
      facet: { column: { field: 'panel', title: null, sort: bench.settings.filters.map((f) => filterLabel(bench, f)) } },
      resolve: { scale: { x: 'independent' } },
      spacing: 28,
      spec: {
        width: { step: 44 },
        height: 250,
        encoding: {
          x: { field: 'strategy', type: 'nominal', sort: [...STRATEGY_ORDER], title: null, axis: { labelAngle: 0, labelFontSize: 11 } },
          xOffset: { field: 'workers', sort: counts.map(workersLabel) },
          y: {
            field: 'v',
            type: 'quantitative',
            scale: { type: 'log', domain: [lo, hi] },
            title: 'wall time, whole data set (log)',
            axis: { labelExpr: MS_AXIS, values: decades(lo, hi) },
          },
        },
        layer: [
          {
            mark: { type: 'bar', width: { band: 0.92 } },
            encoding: {
              y2: { datum: lo },
              color: { field: 'workers', type: 'nominal', title: null, sort: counts.map(workersLabel), scale: { range: COLORS.workers.slice(0, Math.max(2, counts.length)) } },
              tooltip: [{ field: 'strategy' }, { field: 'workers' }, { field: 'label', title: 'median' }],
            },
          },
          { mark: { type: 'text', dy: -4, baseline: 'bottom', fontSize: 9.5 }, encoding: { text: { field: 'label' } } },
        ],
      },
    } as Spec),
  };
}

const STAGES = [
  ['decodeMs', 'decode'],
  ['splitMs', 'split'],
  ['filterMs', 'filter'],
  ['assembleMs', 'assemble'],
  ['encodeMs', 'encode'],
] as const;

/** Stacked busy time per stage, per rung and worker count; wall time as a tick. */
async function stagesChart(bench: BenchReport): Promise<Chart | undefined> {
  const rows = bench.results
    .filter((r) => r.kind === 'tessera' && r.stages && r.strategy !== 'disk')
    .sort((a, b) => rank(a.strategy) - rank(b.strategy) || a.workers - b.workers);
  if (!rows.length) return undefined;
  const rowLabel = (r: BenchResult) => `${r.strategy} ×${r.workers}`;
  const values = rows.flatMap((r) =>
    STAGES.map(([k, name], i) => ({ panel: filterLabel(bench, r.filter), row: rowLabel(r), stage: name, order: i, v: r.stages![k] })),
  );
  const walls = rows.map((r) => ({ panel: filterLabel(bench, r.filter), row: rowLabel(r), v: r.medianMs, label: `wall ${formatMs(r.medianMs)}` }));
  const disk = bench.results.filter((r) => r.strategy === 'disk' && r.stages);
  const order = [...new Set(rows.map(rowLabel))];
  return {
    id: 'stages',
    group: 'bench',
    title: 'Where the time goes, per rung',
    caption:
      'Busy time per pipeline stage in the median run, summed over images and threads, so stages that overlap add up past the wall time (the black tick). ' +
      'Decoding and encoding PNG dominate every in-memory rung; copy pays split and assemble, shared pays neither.' +
      (disk.length ? ` Not drawn: disk, whose filter stage alone is ${disk.map((r) => `${formatMs(r.stages!.filterMs)} (×${r.workers})`).join(' and ')} of process start-ups.` : ''),
    svg: await renderSvg({
      facet: { column: { field: 'panel', title: null, sort: bench.settings.filters.map((f) => filterLabel(bench, f)) } },
      resolve: { scale: { x: 'independent' } },
      spacing: 28,
      data: { values: [...values.map((v) => ({ ...v, kind: 'stage' })), ...walls.map((w) => ({ ...w, kind: 'wall' }))] },
      spec: {
        width: 330,
        height: { step: 22 },
        encoding: { y: { field: 'row', type: 'nominal', sort: order, title: null } },
        layer: [
          {
            transform: [{ filter: "datum.kind === 'stage'" }],
            mark: { type: 'bar', height: { band: 0.72 }, cornerRadiusEnd: 0 },
            encoding: {
              x: { field: 'v', type: 'quantitative', stack: 'zero', title: 'busy ms, summed over threads', axis: { tickCount: 5 } },
              color: { field: 'stage', type: 'nominal', title: null, sort: STAGES.map((s) => s[1]), scale: { domain: STAGES.map((s) => s[1]), range: [...COLORS.stage] } },
              order: { field: 'order' },
              tooltip: [{ field: 'row', title: 'rung' }, { field: 'stage' }, { field: 'v', title: 'ms', format: '.0f' }],
            },
          },
          {
            transform: [{ filter: "datum.kind === 'wall'" }],
            mark: { type: 'tick', color: COLORS.ink, thickness: 2.5, size: 20 },
            encoding: { x: { field: 'v', type: 'quantitative' }, tooltip: [{ field: 'label' }] },
          },
        ],
      },
    } as Spec),
  };
}

const pipelineName = (r: BenchResult) => (r.kind === 'tessera' ? `tessera ${r.strategy}` : r.strategy);

/** Throughput against worker count, every pipeline but disk. */
async function scalingChart(bench: BenchReport): Promise<Chart | undefined> {
  const rows = bench.results.filter((r) => r.strategy !== 'disk' && !r.strategy.startsWith('queue'));
  const counts = workerCounts(rows);
  if (!rows.length || counts.length < 2) return undefined;
  const tessera = [...new Set(rows.filter((r) => r.kind === 'tessera').sort((a, b) => rank(a.strategy) - rank(b.strategy)).map(pipelineName))];
  const peers = [...new Set(rows.filter((r) => r.kind === 'peer').map(pipelineName))];
  const PEER: Record<string, string> = { sharp: '#37474f', 'wasm-vips': '#9c755f', photon: '#d4a017', jimp: '#9aa0a8', js: '#6b8e7f', extism: '#b07aa1' };
  const peerShades = ['#37474f', '#9c755f', '#d4a017', '#9aa0a8', '#6b8e7f'];
  const domain = [...tessera, ...peers];
  const range = [...tessera.map((t) => COLORS.strategy[t.replace('tessera ', '')] ?? COLORS.tessera), ...peers.map((p, i) => PEER[p] ?? peerShades[i % peerShades.length])];
  const values = rows.map((r) => ({ panel: filterLabel(bench, r.filter), pipeline: pipelineName(r), kind: r.kind, workers: r.workers, v: r.mpxPerS }));
  return {
    id: 'scaling',
    group: 'bench',
    title: 'Scaling: throughput against worker threads',
    caption:
      'End-to-end megapixels per second at each worker count (higher is better). tessera rungs are solid lines, peers dashed; a peer drawn as a single point cannot use more threads. ' +
      `disk is left out (${bench.results.filter((r) => r.strategy === 'disk').map((r) => `${r.mpxPerS.toFixed(1)} Mpx/s ×${r.workers}`).join(', ') || 'not run'}).`,
    svg: await renderSvg({
      data: { values },
      facet: { column: { field: 'panel', title: null, sort: bench.settings.filters.map((f) => filterLabel(bench, f)) } },
      spacing: 28,
      spec: {
        width: 360,
        height: 240,
        mark: { type: 'line', point: true },
        encoding: {
          x: { field: 'workers', type: 'quantitative', title: 'worker threads', scale: { domain: [counts[0] - 0.15, counts[counts.length - 1] + 0.15], nice: false }, axis: { values: counts, format: 'd', grid: false } },
          y: { field: 'v', type: 'quantitative', title: 'Mpx/s end to end', axis: { tickCount: 6 } },
          color: { field: 'pipeline', type: 'nominal', title: null, scale: { domain, range }, legend: { orient: 'right', direction: 'vertical', columns: 1 } },
          strokeDash: { field: 'kind', type: 'nominal', scale: { domain: ['tessera', 'peer'], range: [[1, 0], [4, 3]] }, legend: null },
          tooltip: [{ field: 'pipeline' }, { field: 'workers' }, { field: 'v', title: 'Mpx/s', format: '.1f' }],
        },
      },
    } as Spec),
  };
}

/** Each pipeline at its best thread count: end to end and the filter stage alone. */
async function peersChart(bench: BenchReport): Promise<Chart | undefined> {
  const candidates = bench.results.filter((r) => r.kind === 'peer' || r.strategy === 'shared' || r.strategy === 'copy');
  if (!candidates.some((r) => r.kind === 'peer')) return undefined;
  const best = new Map<string, BenchResult>();
  for (const r of candidates) {
    const key = `${r.filter}/${pipelineName(r)}`;
    if (!best.has(key) || r.mpxPerS > best.get(key)!.mpxPerS) best.set(key, r);
  }
  const values = [...best.values()].flatMap((r) => {
    const name = `${pipelineName(r)} ×${r.workers}`;
    const base = { panel: filterLabel(bench, r.filter), pipeline: name, tessera: r.kind === 'tessera', order: -r.mpxPerS };
    const rows = [{ ...base, measure: 'end to end (file → PNG)', v: r.mpxPerS }];
    if (r.filterStage) rows.push({ ...base, measure: 'filter stage alone', v: r.filterStage.mpxPerS });
    return rows;
  });
  const lo = logFloor(values.map((v) => v.v));
  const hi = logCeil(values.map((v) => v.v));
  return {
    id: 'peers',
    group: 'bench',
    title: 'tessera beside the peers',
    caption:
      'Megapixels per second on the same images in the same run, each pipeline at its best thread count (×N), log scale: end to end (decode, filter, encode) and, where the peer allows it, the filter stage alone on decoded pixels. ' +
      'sharp is native libvips; wasm-vips is the same libvips compiled to WebAssembly.',
    svg: await renderSvg({
      data: { values: values.map((v) => ({ ...v, label: v.v >= 10 ? v.v.toFixed(0) : v.v.toFixed(1) })) },
      facet: { column: { field: 'panel', title: null, sort: bench.settings.filters.map((f) => filterLabel(bench, f)) } },
      resolve: { scale: { y: 'independent' } },
      spacing: 36,
      spec: {
        width: 360,
        height: { step: 26 },
        encoding: {
          y: {
            field: 'pipeline',
            type: 'nominal',
            title: null,
            sort: { field: 'order', op: 'min' },
            axis: { labelFontWeight: { condition: { test: "indexof(datum.label, 'tessera') === 0", value: 700 }, value: 400 }, labelColor: { condition: { test: "indexof(datum.label, 'tessera') === 0", value: COLORS.tessera }, value: COLORS.ink } },
          },
          yOffset: { field: 'measure', sort: ['end to end (file → PNG)', 'filter stage alone'] },
          x: { field: 'v', type: 'quantitative', scale: { type: 'log', domain: [lo, hi] }, title: 'Mpx/s (log)', axis: { values: decades(lo, hi), format: '~g' } },
        },
        layer: [
          {
            mark: { type: 'bar', height: { band: 0.9 } },
            encoding: {
              x2: { datum: lo },
              color: { field: 'measure', type: 'nominal', title: null, sort: ['end to end (file → PNG)', 'filter stage alone'], scale: { range: [...COLORS.pair] } },
              tooltip: [{ field: 'pipeline' }, { field: 'measure' }, { field: 'v', title: 'Mpx/s', format: '.1f' }],
            },
          },
          { mark: { type: 'text', align: 'left', dx: 3, fontSize: 9.5, color: COLORS.muted }, encoding: { text: { field: 'label' } } },
        ],
      },
    } as Spec),
  };
}

/** The big case: each command's peak RSS against the size of the image, beside one decoded RGBA copy of it. */
async function bigMemoryChart(bench: BenchReport): Promise<Chart | undefined> {
  const sizes = (bench.big?.sizes ?? []).filter((b) => b.tessera.peakRssMb !== undefined && b.sharp.peakRssMb !== undefined);
  if (!sizes.length) return undefined;
  const RGBA = 'one decoded RGBA copy (4 B/px)';
  const copy = (b: BigImageRun) => (b.side * b.side * 4) / 2 ** 20;
  const tools = ['tessera run', 'sharp script', RGBA];
  const values = sizes.flatMap((b) => {
    const point = (tool: string, mib: number) => ({ tool, mpx: b.megapixels, mib, size: `${b.side}×${b.side}`, label: `${mib.toFixed(0)} MiB` });
    return [point(tools[0], b.tessera.peakRssMb!), point(tools[1], b.sharp.peakRssMb!), point(RGBA, copy(b))];
  });
  const head = sizes[sizes.length - 1];
  const largest = values.filter((v) => v.mpx === head.megapixels && v.tool !== RGBA);
  return {
    id: 'big-memory',
    group: 'bench',
    title: 'Peak memory against image size',
    caption:
      `Peak resident set of each process (the child's high-water mark) blurring one image of each size of the big case, gaussian-blur σ=${bench.big!.sigma}, as a whole process. ` +
      `At ${formatMpx(head.megapixels)}: \`tessera run\` ${head.tessera.peakRssMb!.toFixed(0)} MiB, the sharp script ${head.sharp.peakRssMb!.toFixed(0)} MiB` +
      (head.rssRatio !== undefined ? ` (tessera / sharp ${formatRatio(head.rssRatio)})` : '') +
      `; the dashed line, for scale, is one decoded RGBA copy of the image (${copy(head).toFixed(0)} MiB at that size).`,
    svg: await renderSvg({
      data: { values },
      width: 520,
      height: 280,
      encoding: {
        x: { field: 'mpx', type: 'quantitative', title: 'image size, megapixels', axis: { values: sizes.map((b) => b.megapixels), labelExpr: "datum.value >= 10 ? format(datum.value, 'd') : format(datum.value, '.2~g')", grid: false } },
        y: { field: 'mib', type: 'quantitative', title: 'peak RSS, MiB', axis: { tickCount: 6 } },
        color: { field: 'tool', type: 'nominal', title: null, sort: tools, scale: { domain: tools, range: [COLORS.tessera, '#37474f', COLORS.muted] } },
      },
      layer: [
        {
          mark: { type: 'line', point: { filled: true, size: 46 }, strokeWidth: 2.2 },
          encoding: {
            strokeDash: { condition: { test: `datum.tool === '${RGBA}'`, value: [4, 3] }, value: [1, 0] },
            tooltip: [{ field: 'tool' }, { field: 'size' }, { field: 'mpx', title: 'Mpx', format: '.0f' }, { field: 'label', title: 'peak RSS' }],
          },
        },
        {
          data: { values: largest },
          mark: { type: 'text', align: 'left', dx: 7, fontSize: 10.5 },
          encoding: { text: { field: 'label' } },
        },
      ],
    } as Spec),
  };
}

/** Every chart the bench results (and start-up results, when given) support. */
export async function buildCharts(bench: BenchReport, startup?: StartupReport): Promise<Chart[]> {
  const charts = [await ladderChart(bench), await stagesChart(bench), await scalingChart(bench), await peersChart(bench), await bigMemoryChart(bench)];
  if (startup) charts.push(...(await startupCharts(startup)));
  return charts.filter((c): c is Chart => c !== undefined);
}
