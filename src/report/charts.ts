/**
 * The report's charts as Vega-Lite specs, rendered to SVG in Node at report time
 * (no browser, no CDN: the SVG is inlined into the page).
 */
import * as vega from 'vega';
import * as vl from 'vega-lite';
import type { StartupReport } from '../bench/startup/types.js';
import type { BenchReport } from '../bench/types.js';

/** One rendered chart. */
export interface Chart {
  id: string;
  title: string;
  caption: string;
  svg: string;
}

type Spec = vl.TopLevelSpec;
const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
const config = {
  font: FONT,
  view: { stroke: null },
  axis: { labelFontSize: 11, titleFontSize: 12, gridColor: '#e8e8ee', domainColor: '#999' },
  legend: { labelFontSize: 11, titleFontSize: 12 },
  range: { category: ['#4c78a8', '#f58518', '#54a24b', '#e45756', '#72b7b2', '#b279a2', '#ff9da6', '#9d755d'] },
};

async function render(spec: Spec): Promise<string> {
  const compiled = vl.compile({ ...spec, config } as Spec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  return svg;
}

const ORDER = ['disk', 'pipe', 'copy', 'copy-instance', 'shared', 'queue×2'];

/** Every chart the bench results (and start-up results, when given) support. */
export async function buildCharts(bench: BenchReport, startup?: StartupReport): Promise<Chart[]> {
  const tessera = bench.results.filter((r) => r.kind === 'tessera');
  const charts: Chart[] = [];
  const maxWorkers = Math.max(...bench.results.map((r) => r.workers));
  charts.push({
    id: 'ladder',
    title: 'The ladder: end-to-end time per strategy and worker count',
    caption: 'Median wall time for the whole data set, file in to file out, log scale: the disk rung is two orders of magnitude above the rest.',
    svg: await render({
      data: { values: tessera.map((r) => ({ filter: r.filter, strategy: r.strategy, workers: String(r.workers), seconds: r.medianMs / 1000 })) },
      facet: { column: { field: 'filter', title: null } },
      resolve: { scale: { x: 'independent' } },
      spec: {
        width: 300,
        height: 220,
        mark: { type: 'bar', tooltip: true },
        encoding: {
          x: { field: 'strategy', type: 'nominal', sort: ORDER, title: null, axis: { labelAngle: -30 } },
          xOffset: { field: 'workers' },
          y: { field: 'seconds', type: 'quantitative', scale: { type: 'log' }, stack: null, title: 'seconds (log)' },
          color: { field: 'workers', type: 'nominal', title: 'workers' },
        },
      },
    }),
  });
  const stages = tessera
    .filter((r) => r.stages && r.workers === maxWorkers && r.strategy !== 'disk')
    .flatMap((r) =>
      (['decodeMs', 'splitMs', 'filterMs', 'assembleMs', 'encodeMs'] as const).map((k, i) => ({ filter: r.filter, strategy: r.strategy, stage: `${i + 1} ${k.replace('Ms', '')}`, ms: r.stages![k] })),
    );
  charts.push({
    id: 'stages',
    title: `Where the time goes (${maxWorkers} workers)`,
    caption: 'Busy time per stage summed over images and threads in the median run (disk left out: its filter stage is 20+ s of process start-ups). Decode and encode dominate every in-memory rung; copy pays split and assemble, shared does not.',
    svg: await render({
      data: { values: stages },
      facet: { column: { field: 'filter', title: null } },
      resolve: { scale: { x: 'independent' } },
      spec: {
        width: 300,
        height: 220,
        mark: { type: 'bar', tooltip: true },
        encoding: {
          x: { field: 'strategy', type: 'nominal', sort: ORDER, title: null, axis: { labelAngle: -30 } },
          y: { field: 'ms', type: 'quantitative', stack: 'zero', title: 'busy ms' },
          color: { field: 'stage', type: 'nominal', title: 'stage' },
        },
      },
    }),
  });
  const scalable = bench.results.filter((r) => r.strategy !== 'disk');
  charts.push({
    id: 'scaling',
    title: 'Scaling: throughput against workers',
    caption: 'End-to-end megapixels per second for each pipeline at each worker count measured (peers that cannot use more threads show one point).',
    svg: await render({
      data: { values: scalable.map((r) => ({ filter: r.filter, pipeline: r.kind === 'tessera' ? `tessera ${r.strategy}` : r.strategy, workers: r.workers, mpx: r.mpxPerS })) },
      facet: { column: { field: 'filter', title: null } },
      spec: {
        width: 300,
        height: 220,
        mark: { type: 'line', point: true, tooltip: true },
        encoding: {
          x: { field: 'workers', type: 'quantitative', scale: { zero: false }, axis: { tickMinStep: 1 } },
          y: { field: 'mpx', type: 'quantitative', title: 'Mpx/s' },
          color: { field: 'pipeline', type: 'nominal', scale: { scheme: 'tableau10' } },
        },
      },
    }),
  });
  const peers = bench.results
    .filter((r) => r.kind === 'peer' || r.strategy === 'shared')
    .flatMap((r) => {
      const name = r.kind === 'tessera' ? `tessera shared ×${r.workers}` : `${r.strategy} ×${r.workers}`;
      const rows = [{ filter: r.filter, pipeline: name, measure: 'end to end', mpx: r.mpxPerS }];
      if (r.filterStage) rows.push({ filter: r.filter, pipeline: name, measure: 'filter stage', mpx: r.filterStage.mpxPerS });
      return rows;
    });
  charts.push({
    id: 'peers',
    title: 'tessera beside the peers',
    caption: 'Megapixels per second, end to end (file → PNG) and for the filter stage alone on decoded pixels, log scale.',
    svg: await render({
      data: { values: peers },
      facet: { column: { field: 'filter', title: null } },
      spec: {
        width: 300,
        height: 260,
        mark: { type: 'bar', tooltip: true },
        encoding: {
          y: { field: 'pipeline', type: 'nominal', sort: '-x', title: null },
          yOffset: { field: 'measure' },
          x: { field: 'mpx', type: 'quantitative', scale: { type: 'log' }, stack: null, title: 'Mpx/s (log)' },
          color: { field: 'measure', type: 'nominal', title: null },
        },
      },
    }),
  });
  if (startup) {
    charts.push({
      id: 'isolation',
      title: 'What a sandbox costs per unit of work',
      caption: `One 256×256 ${startup.isolationFilter} tile: median and p99 per isolation level, log scale.`,
      svg: await render({
        data: { values: startup.isolation.flatMap((i) => [{ level: i.level, stat: 'median', ms: i.medianMs }, { level: i.level, stat: 'p99', ms: i.p99Ms }]) },
        width: 420,
        height: 160,
        mark: { type: 'bar', tooltip: true },
        encoding: {
          y: { field: 'level', type: 'nominal', sort: ['pooled', 'instance', 'process'], title: null },
          yOffset: { field: 'stat' },
          x: { field: 'ms', type: 'quantitative', scale: { type: 'log' }, stack: null, title: 'ms per tile (log)' },
          color: { field: 'stat', type: 'nominal', title: null },
        },
      }),
    });
    const compile = startup.modules.flatMap((m) => [
      { module: m.filter, phase: 'compile cold', ms: m.compileColdMs },
      { module: m.filter, phase: 'compile Liftoff', ms: m.liftoff.compileMs },
      { module: m.filter, phase: 'compile TurboFan', ms: m.turbofan.compileMs },
      { module: m.filter, phase: 'from cache', ms: m.cachedMs },
      { module: m.filter, phase: 'instantiate', ms: m.instantiateMs },
    ]);
    if (startup.largeModule) {
      const l = startup.largeModule;
      compile.push(
        { module: 'wasm-vips (large)', phase: 'compile cold', ms: l.compileColdMs },
        { module: 'wasm-vips (large)', phase: 'compile Liftoff', ms: l.liftoffCompileMs },
        { module: 'wasm-vips (large)', phase: 'compile TurboFan', ms: l.turbofanCompileMs },
        { module: 'wasm-vips (large)', phase: 'from cache', ms: l.cachedMs },
      );
    }
    charts.push({
      id: 'startup',
      title: 'Start-up: compile tiers, cache and instantiation',
      caption: 'Per module, log scale. Small filters compile in well under a millisecond with either tier; for a 5 MB module the optimizing tier takes seconds and the cache pays off.',
      svg: await render({
        data: { values: compile },
        width: 420,
        height: 300,
        mark: { type: 'bar', tooltip: true },
        encoding: {
          y: { field: 'module', type: 'nominal', title: null },
          yOffset: { field: 'phase' },
          x: { field: 'ms', type: 'quantitative', scale: { type: 'log' }, stack: null, title: 'ms (log)' },
          color: { field: 'phase', type: 'nominal', title: null },
        },
      }),
    });
  }
  return charts;
}
