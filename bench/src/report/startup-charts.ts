/** Charts of `tessera bench startup`: isolation, start-up steps, compiler tiers, density, artifact sizes. */
import type { StartupReport } from '../startup/types.js';
import { BYTES_AXIS, COLORS, decades, logCeil, logFloor, MS_AXIS, renderSvg, type Chart, type Spec } from './render.js';
import { formatBytes, formatMs, formatRatio } from '../format.js';
import { extismCharts } from './extism-charts.js';
import { SANDBOX_LABEL } from '../startup/containers/markdown.js';
import type { HoldingCost } from '../startup/containers/types.js';

const LEVEL_LABEL: Record<string, string> = {
  pooled: 'pooled instance',
  instance: 'fresh instance per tile',
  process: 'fresh OS process per tile',
  bwrap: 'fresh bwrap sandbox per tile',
  runc: 'fresh runc container per tile',
};
/** The container levels' colours (issue 17), beyond the rungs' own. */
const CONTAINER_COLORS = { bwrap: '#edc948', runc: '#59a14f' } as const;

/** One tile at each isolation level: median bar, p99 whisker, log scale. */
async function isolationChart(s: StartupReport): Promise<Chart> {
  const order = ['pooled', 'instance', 'process', 'bwrap', 'runc'].filter((l) => s.isolation.some((i) => i.level === l));
  const levelColor: Record<string, string> = { pooled: COLORS.strategy.copy, instance: COLORS.strategy['copy-instance'], process: COLORS.strategy.disk, ...CONTAINER_COLORS };
  const values = order.map((l) => {
    const i = s.isolation.find((x) => x.level === l)!;
    return { level: LEVEL_LABEL[l], v: i.medianMs, p99: i.p99Ms, samples: i.samples, label: `${formatMs(i.medianMs)}  (p99 ${formatMs(i.p99Ms)})` };
  });
  const lo = logFloor(values.map((v) => v.v));
  const hi = logCeil(values.map((v) => v.p99), 2.2);
  const pooled = s.isolation.find((i) => i.level === 'pooled');
  const ratio = (l: string) => {
    const i = s.isolation.find((x) => x.level === l);
    return i && pooled ? formatRatio(i.medianMs / pooled.medianMs) : '—';
  };
  return {
    id: 'isolation',
    group: 'startup',
    title: 'What a sandbox costs per unit of work',
    caption:
      `One 256×256 ${s.isolationFilter} tile copied in, filtered and copied out, log scale: bar = median, whisker = p99 ` +
      `(${values.map((v) => `${v.samples.toLocaleString('en')}`).join(' / ')} samples). A fresh instance costs ${ratio('instance')} a pooled call; a fresh process ${ratio('process')}` +
      (s.isolation.some((i) => i.level === 'bwrap' || i.level === 'runc')
        ? `; the same filter process in a fresh bwrap sandbox ${ratio('bwrap')}, in a fresh runc container ${ratio('runc')}. Every output equals the pooled instance's.`
        : '.'),
    svg: await renderSvg({
      data: { values },
      width: 680,
      height: { step: 40 },
      encoding: {
        y: { field: 'level', type: 'nominal', sort: values.map((v) => v.level), title: null },
        x: { field: 'v', type: 'quantitative', scale: { type: 'log', domain: [lo, hi] }, title: 'time per tile (log)', axis: { labelExpr: MS_AXIS, values: decades(lo, hi) } },
      },
      layer: [
        {
          mark: { type: 'bar', height: { band: 0.62 } },
          encoding: {
            x2: { datum: lo },
            color: { field: 'level', type: 'nominal', legend: null, scale: { domain: values.map((v) => v.level), range: order.map((l) => levelColor[l]) } },
            tooltip: [{ field: 'level' }, { field: 'label', title: 'median (p99)' }],
          },
        },
        { mark: { type: 'rule', color: COLORS.ink, strokeWidth: 1.2 }, encoding: { x2: { field: 'p99' } } },
        { mark: { type: 'tick', color: COLORS.ink, thickness: 1.5, size: 12 }, encoding: { x: { field: 'p99', type: 'quantitative' } } },
        { mark: { type: 'text', align: 'left', dx: 6, fontSize: 10.5, color: COLORS.ink }, encoding: { x: { field: 'p99', type: 'quantitative' }, text: { field: 'label' } } },
      ],
    } as Spec),
  };
}

/** Compile, cache, instantiate, first call: a built-in filter beside the large module, log scale. */
async function startupStepsChart(s: StartupReport): Promise<Chart> {
  const small = s.modules.find((m) => m.filter === s.isolationFilter) ?? s.modules[0];
  const steps = ['compile cold (V8 default, lazy)', 'compile all, Liftoff only', 'compile all, TurboFan only', 'from cache: hash + lookup', 'from cache: Module to a worker', 'instantiate', 'first call'];
  const values: Array<{ module: string; step: string; v: number }> = [];
  const smallName = `${small.filter}.wasm (${formatBytes(small.bytes)})`;
  const add = (module: string, step: number, v: number | undefined) => v !== undefined && Number.isFinite(v) && values.push({ module, step: steps[step], v });
  add(smallName, 0, small.compileColdMs);
  add(smallName, 1, small.liftoff.compileMs);
  add(smallName, 2, small.turbofan.compileMs);
  add(smallName, 3, small.cachedMs);
  add(smallName, 4, small.handoffMs);
  add(smallName, 5, small.instantiateMs);
  add(smallName, 6, small.firstCallMs);
  const l = s.largeModule;
  const largeName = l ? `${l.name} (${formatBytes(l.bytes)})` : '';
  if (l) {
    add(largeName, 0, l.compileColdMs);
    add(largeName, 1, l.liftoffCompileMs);
    add(largeName, 2, l.turbofanCompileMs);
    add(largeName, 3, l.cachedMs);
    add(largeName, 4, l.handoffMs);
  }
  const lo = logFloor(values.map((v) => v.v));
  const hi = logCeil(values.map((v) => v.v), 1.3);
  const modules = l ? [smallName, largeName] : [smallName];
  return {
    id: 'startup',
    group: 'startup',
    title: 'Starting a sandbox: compile, cache, instantiate',
    caption:
      'Each step once, log scale. Compile times come from fresh processes (tiers are per-process V8 flags); "cold" is V8\'s default, which defers compiling each function to its first call. ' +
      'The cache is in-process: hash the bytes and look the Module up, or post the compiled Module to a worker thread. ' +
      'Node 20 has no on-disk compiled-module cache (v8.serialize of a WebAssembly.Module does not round-trip: nodejs/node#18265, #36671), so each new process compiles again.',
    svg: await renderSvg({
      data: { values: values.map((v) => ({ ...v, label: formatMs(v.v) })) },
      width: 680,
      height: { step: 17 },
      encoding: {
        y: { field: 'step', type: 'nominal', sort: steps, title: null },
        yOffset: { field: 'module', sort: modules },
        x: { field: 'v', type: 'quantitative', scale: { type: 'log', domain: [lo, hi] }, title: 'time (log)', axis: { labelExpr: MS_AXIS, values: decades(lo, hi) } },
      },
      layer: [
        {
          mark: { type: 'bar', height: { band: 0.88 } },
          encoding: {
            x2: { datum: lo },
            color: { field: 'module', type: 'nominal', title: null, sort: modules, scale: { domain: modules, range: [COLORS.strategy.copy, COLORS.strategy.pipe] } },
            tooltip: [{ field: 'module' }, { field: 'step' }, { field: 'label', title: 'time' }],
          },
        },
        { mark: { type: 'text', align: 'left', dx: 3, fontSize: 9.5, color: COLORS.muted }, encoding: { text: { field: 'label' } } },
      ],
    } as Spec),
  };
}

/** Baseline vs optimizing compiler: what compiling costs against what a tile then costs. */
async function tiersChart(s: StartupReport): Promise<Chart> {
  const metrics = ['compile the module', 'then one 256×256 tile'];
  const values = s.modules.flatMap((m) => [
    { filter: m.filter, metric: metrics[0], tier: 'Liftoff (baseline)', v: m.liftoff.compileMs },
    { filter: m.filter, metric: metrics[0], tier: 'TurboFan (optimizing)', v: m.turbofan.compileMs },
    { filter: m.filter, metric: metrics[1], tier: 'Liftoff (baseline)', v: m.liftoff.tileMs },
    { filter: m.filter, metric: metrics[1], tier: 'TurboFan (optimizing)', v: m.turbofan.tileMs },
  ]);
  const slow = s.modules.map((m) => m.liftoff.tileMs / m.turbofan.tileMs).filter(Number.isFinite);
  return {
    id: 'tiers',
    group: 'startup',
    title: 'Compile fast or run fast: the two compiler tiers',
    caption:
      `Each built-in filter compiled in a fresh process with one tier only (--liftoff-only, --no-liftoff), then run on a 256×256 tile (median of 300 calls). ` +
      `Liftoff compiles ${formatRatio(median(s.modules.map((m) => m.turbofan.compileMs / m.liftoff.compileMs)))} faster but its code runs ${formatRatio(Math.min(...slow))}–${formatRatio(Math.max(...slow))} slower; by default V8 starts on Liftoff and tiers hot functions up to TurboFan.`,
    svg: await renderSvg({
      data: { values: values.map((v) => ({ ...v, label: formatMs(v.v) })) },
      facet: { column: { field: 'metric', title: null, sort: metrics } },
      resolve: { scale: { x: 'independent' } },
      spacing: 24,
      spec: {
        width: 320,
        height: { step: 13 },
        encoding: {
          y: { field: 'filter', type: 'nominal', title: null },
          yOffset: { field: 'tier' },
          x: { field: 'v', type: 'quantitative', title: null, axis: { labelExpr: MS_AXIS, tickCount: 4 } },
        },
        layer: [
          {
            mark: { type: 'bar', height: { band: 0.9 } },
            encoding: {
              color: { field: 'tier', type: 'nominal', title: null, scale: { range: [COLORS.strategy.pipe, COLORS.strategy.copy] } },
              tooltip: [{ field: 'filter' }, { field: 'tier' }, { field: 'label', title: 'time' }],
            },
          },
          { mark: { type: 'text', align: 'left', dx: 2, fontSize: 8.5, color: COLORS.muted }, encoding: { text: { field: 'label' } } },
        ],
      },
    } as Spec),
  };
}

function median(v: number[]): number {
  const s = v.filter(Number.isFinite).sort((a, b) => a - b);
  return s.length ? (s[(s.length - 1) >> 1] + s[s.length >> 1]) / 2 : NaN;
}

/**
 * Holding cost (issue 17): N idle sandboxes of each kind — runc containers, bwrap sandboxes, plain
 * Node processes, filter instances — and how many fit in a GiB by PSS, by RSS and by the
 * container's cgroup, log scale. Replaces the density chart when startup.json has the figures.
 */
async function holdingChart(s: StartupReport, rows: HoldingCost[]): Promise<Chart> {
  const measures = ['by PSS', 'by RSS', 'by cgroup'];
  const what = (h: HoldingCost) => `${SANDBOX_LABEL[h.kind]} — ${formatBytes(h.memory.pss)} PSS`;
  const values = rows.flatMap((h) => [
    { what: what(h), measure: measures[0], v: h.perGiB.pss },
    { what: what(h), measure: measures[1], v: h.perGiB.rss },
    ...(h.perGiB.cgroup !== undefined ? [{ what: what(h), measure: measures[2], v: h.perGiB.cgroup }] : []),
  ]).filter((v) => Number.isFinite(v.v) && v.v > 0);
  const hi = logCeil(values.map((v) => v.v), 1.6);
  const inst = rows.find((h) => h.kind === 'instance');
  const runc = rows.find((h) => h.kind === 'runc');
  return {
    id: 'density',
    group: 'startup',
    title: 'Holding cost: idle sandboxes per GiB of memory',
    caption:
      `Sandboxes started and left idle (a filter process blocked reading its stdin; an instance made and unused), ${rows.filter((h) => h.kind !== 'instance').map((h) => h.sandboxes)[0] ?? 0} of each process kind and ${inst?.sandboxes.toLocaleString('en') ?? 0} instances alive at once. ` +
      'Memory from /proc/PID/smaps_rollup of every process involved (runc\'s supervisor, bwrap\'s two) and, for a container, its memory cgroup; PSS splits shared pages (Node\'s code) among the processes mapping them. Log scale.' +
      (inst && runc ? ` ${formatRatio(inst.perGiB.pss / runc.perGiB.pss)} more instances than containers fit (PSS).` : ''),
    svg: await renderSvg({
      data: { values: values.map((v) => ({ ...v, label: `${v.v.toLocaleString('en')} per GiB` })) },
      width: 680,
      height: { step: 16 },
      encoding: {
        y: { field: 'what', type: 'nominal', sort: rows.map(what), title: null },
        yOffset: { field: 'measure', sort: measures },
        x: { field: 'v', type: 'quantitative', scale: { type: 'log', domain: [1, hi] }, title: 'sandboxes per GiB (log)', axis: { format: ',', values: decades(1, hi) } },
      },
      layer: [
        {
          mark: { type: 'bar', height: { band: 0.9 } },
          encoding: {
            x2: { datum: 1 },
            color: { field: 'measure', type: 'nominal', title: null, sort: measures, scale: { domain: measures, range: [COLORS.strategy.copy, COLORS.pair[1], CONTAINER_COLORS.runc] } },
            tooltip: [{ field: 'what', title: 'sandbox' }, { field: 'measure' }, { field: 'label' }],
          },
        },
        { mark: { type: 'text', align: 'left', dx: 3, fontSize: 9, color: COLORS.muted }, encoding: { text: { field: 'label' } } },
      ],
    } as Spec),
  };
}

/** How many sandboxes fit in a GiB: filter instances against Node processes. */
async function densityChart(s: StartupReport): Promise<Chart> {
  if (s.containers?.holding.length) return holdingChart(s, s.containers.holding);
  const m = s.memory;
  const tile = 2 * 256 * 256 * 4;
  const values = [
    { what: `filter instance, one page touched (${formatBytes(m.bytesPerInstance)})`, v: m.instancesPerGiB, kind: 'tessera' },
    { what: `filter instance + a 256×256 tile in and out (${formatBytes(m.bytesPerInstance + tile)})`, v: Math.floor(2 ** 30 / (m.bytesPerInstance + tile)), kind: 'tessera' },
    { what: `fresh Node.js process (${m.freshNodeRssMb.toFixed(0)} MiB)`, v: Math.floor(1024 / m.freshNodeRssMb), kind: 'process' },
  ];
  const hi = logCeil(values.map((v) => v.v), 1.4);
  return {
    id: 'density',
    group: 'startup',
    title: 'Density: sandboxes per GiB of memory',
    caption:
      `Resident memory measured from process RSS with ${m.instances.toLocaleString('en')} ${s.isolationFilter} instances alive, each with its own linear memory, log scale. ` +
      'Address space caps a process sooner: every memory reserves ~10 GiB of guard regions, about 13,000 per process.',
    svg: await renderSvg({
      data: { values: values.map((v) => ({ ...v, label: `${v.v.toLocaleString('en')} per GiB` })) },
      width: 680,
      height: { step: 34 },
      encoding: {
        y: { field: 'what', type: 'nominal', sort: values.map((v) => v.what), title: null },
        x: { field: 'v', type: 'quantitative', scale: { type: 'log', domain: [1, hi] }, title: 'per GiB (log)', axis: { format: ',', values: decades(1, hi) } },
      },
      layer: [
        {
          mark: { type: 'bar', height: { band: 0.62 } },
          encoding: { x2: { datum: 1 }, color: { field: 'kind', type: 'nominal', legend: null, scale: { domain: ['tessera', 'process'], range: [COLORS.strategy.copy, COLORS.strategy.disk] } }, tooltip: [{ field: 'what' }, { field: 'label' }] },
        },
        { mark: { type: 'text', align: 'left', dx: 4, fontSize: 10.5, color: COLORS.ink }, encoding: { text: { field: 'label' } } },
      ],
    } as Spec),
  };
}

/** The container's rootfs and its OCI image as artifact rows (gzip = the image's layer; the archive is already compressed). */
function containerArtifacts(s: StartupReport): StartupReport['artifacts'] {
  const a = s.containers?.artifacts;
  if (!a) return [];
  return [
    { name: `container rootfs: Node + libs + runner + ${a.filter.name}`, bytes: a.rootfs.bytes, gzipBytes: a.image.layerBytes },
    { name: 'container as an OCI image archive', bytes: a.image.bytes },
  ];
}

/** What a user ships: each filter beside sharp's native libvips and wasm-vips. */
async function artifactsChart(s: StartupReport): Promise<Chart> {
  const shown = [...s.artifacts.filter((a) => !/\.(shared|wasi)\.wasm$/.test(a.name)), ...containerArtifacts(s)];
  const values = shown.flatMap((a) => {
    const rows = [{ name: a.name, form: 'as shipped', v: a.bytes, group: a.name.startsWith('tessera') ? 'tessera' : 'other' }];
    if (a.gzipBytes) rows.push({ name: a.name, form: 'gzip', v: a.gzipBytes, group: rows[0].group });
    return rows;
  });
  const lo = 256;
  const hi = 2 ** Math.ceil(Math.log2(Math.max(...values.map((v) => v.v))) + 2);
  return {
    id: 'artifacts',
    group: 'startup',
    title: 'Artifact size: what a deployment carries',
    caption:
      'Bytes on disk and gzipped, log scale. A tessera filter is a few KiB of WebAssembly (its shared-memory and WASI forms are the same size); sharp needs its native libvips library and addon, wasm-vips a multi-megabyte module' +
      (s.containers?.artifacts ? '; the same filter as a container carries Node and its libraries: the rootfs as built, and as an OCI image (its layer gzip\'d).' : '.'),
    svg: await renderSvg({
      data: { values: values.map((v) => ({ ...v, label: formatBytes(v.v) })) },
      width: 680,
      height: { step: 19 },
      encoding: {
        y: { field: 'name', type: 'nominal', sort: shown.map((a) => a.name), title: null },
        yOffset: { field: 'form', sort: ['as shipped', 'gzip'] },
        x: {
          field: 'v',
          type: 'quantitative',
          scale: { type: 'log', domain: [lo, hi] },
          title: 'bytes (log)',
          axis: { labelExpr: BYTES_AXIS, values: [1, 16, 256, 4096, 65536, 1048576, 16777216, 268435456].map((k) => k * 1024).filter((v) => v >= lo && v <= hi) },
        },
      },
      layer: [
        {
          mark: { type: 'bar', height: { band: 0.9 } },
          encoding: { x2: { datum: lo }, color: { field: 'form', type: 'nominal', title: null, sort: ['as shipped', 'gzip'], scale: { range: [...COLORS.pair] } }, tooltip: [{ field: 'name' }, { field: 'form' }, { field: 'label', title: 'size' }] },
        },
        { mark: { type: 'text', align: 'left', dx: 3, fontSize: 9, color: COLORS.muted }, encoding: { text: { field: 'label' } } },
      ],
    } as Spec),
  };
}

/** Every start-up chart. */
export async function startupCharts(s: StartupReport): Promise<Chart[]> {
  return [await isolationChart(s), await startupStepsChart(s), await tiersChart(s), await densityChart(s), await artifactsChart(s), ...(await extismCharts(s.extism))];
}
