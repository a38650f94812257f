/** The start-up section's Extism charts: one tile through Extism against tessera's paths, and where the Extism call goes. */
import { extismBreakdown } from '../startup/extism-breakdown.js';
import type { ExtismStartup } from '../startup/types.js';
import { formatMs, formatRatio } from '../format.js';
import { COLORS, decades, logCeil, logFloor, MS_AXIS, renderSvg, type Chart, type Spec } from './render.js';

const PATHS = ['Extism plugin.call', 'tessera copy', 'tessera shared'] as const;
const PATH_COLORS = ['#b07aa1', COLORS.strategy.copy, COLORS.strategy.shared];

/** One 256×256 tile per filter: median bar, p99 whisker, log scale. */
async function extismTileChart(e: ExtismStartup): Promise<Chart> {
  const values = e.tiles.flatMap((t) =>
    ([[PATHS[0], t.extism], [PATHS[1], t.copy], [PATHS[2], t.shared]] as const).map(([path, c]) => ({
      filter: t.filter,
      path,
      v: c.medianMs,
      p99: c.p99Ms,
      label: `${formatMs(c.medianMs)}  (p99 ${formatMs(c.p99Ms)})`,
    })),
  );
  const lo = logFloor(values.map((v) => v.v));
  const hi = logCeil(values.map((v) => v.p99), 2);
  const ratios = e.tiles.map((t) => `${t.filter} ${formatRatio(t.extism.medianMs / t.copy.medianMs)}`).join(', ');
  return {
    id: 'extism',
    group: 'startup',
    title: 'One tile through Extism against tessera',
    caption:
      `The same tessera filter source, one 256×256 tile: as an Extism plugin through ${e.sdk} (input built, plugin.call, output copied into place) against tessera's copy and shared paths, log scale: bar = median, whisker = p99. ` +
      `Extism per tile against copy: ${ratios}. The filter is the same code; what differs is how the pixels get in and out.`,
    svg: await renderSvg({
      data: { values },
      width: 560,
      height: { step: 15 },
      encoding: {
        y: { field: 'filter', type: 'nominal', title: null, sort: e.tiles.map((t) => t.filter) },
        yOffset: { field: 'path', sort: [...PATHS] },
        x: { field: 'v', type: 'quantitative', scale: { type: 'log', domain: [lo, hi] }, title: 'time per tile (log)', axis: { labelExpr: MS_AXIS, values: decades(lo, hi) } },
      },
      layer: [
        {
          mark: { type: 'bar', height: { band: 0.85 } },
          encoding: {
            x2: { datum: lo },
            color: { field: 'path', type: 'nominal', title: null, sort: [...PATHS], scale: { domain: [...PATHS], range: PATH_COLORS } },
            tooltip: [{ field: 'filter' }, { field: 'path' }, { field: 'label', title: 'median (p99)' }],
          },
        },
        { mark: { type: 'rule', color: COLORS.ink, strokeWidth: 1 }, encoding: { x2: { field: 'p99' } } },
        { mark: { type: 'text', align: 'left', dx: 5, fontSize: 9.5, color: COLORS.ink }, encoding: { x: { field: 'p99', type: 'quantitative' }, text: { field: 'label' } } },
      ],
    } as Spec),
  };
}

const PARTS = ['fixed cost of the call', 'input: input_load_u64 per 8 bytes', 'the filter', 'output: store_u64 per 8 bytes'] as const;

/** The Extism call of one tile taken apart (the plugin's probe exports), stacked, linear scale. */
async function extismStepsChart(e: ExtismStartup): Promise<Chart> {
  const values = e.tiles.flatMap((t) => {
    const b = extismBreakdown(t);
    return [b.fixedMs, b.inputMs, b.filterMs, b.outputMs].map((v, i) => ({ filter: t.filter, part: PARTS[i], order: i, v, label: formatMs(v) }));
  });
  const shares = e.tiles.map((t) => `${t.filter} ${(extismBreakdown(t).transferShare * 100).toFixed(0)}%`).join(', ');
  const perCall = e.tiles.map((t) => {
    const b = extismBreakdown(t);
    return `${b.nsPerInputCall.toFixed(0)} / ${b.nsPerOutputCall.toFixed(0)} ns`;
  });
  const ns = (i: 'i32' | 'i64') => ((e.hostCall[i].medianMs * 1e6) / e.hostCall.calls).toFixed(0);
  return {
    id: 'extism-steps',
    group: 'startup',
    title: 'Where an Extism call of one tile goes',
    caption:
      `Medians of the plugin's probe exports, each a plugin.call of its own, the empty call's cost taken out of the others. Moving the bytes is ${shares} of the call: ` +
      `the SDK keeps input and output in JavaScript and the plugin moves them 8 bytes per host call (${perCall.join(', ')} per input / output call), where a bare WebAssembly → JavaScript call costs ${ns('i32')} ns with i32 values and ${ns('i64')} ns with i64 (BigInt) ones.`,
    svg: await renderSvg({
      data: { values },
      width: 560,
      height: { step: 34 },
      encoding: {
        y: { field: 'filter', type: 'nominal', title: null, sort: e.tiles.map((t) => t.filter) },
        x: { field: 'v', type: 'quantitative', stack: 'zero', title: 'ms per tile', axis: { tickCount: 6 } },
      },
      layer: [
        {
          mark: { type: 'bar', height: { band: 0.6 } },
          encoding: {
            color: { field: 'part', type: 'nominal', title: null, sort: [...PARTS], scale: { domain: [...PARTS], range: [COLORS.muted, COLORS.stage[0], COLORS.tessera, COLORS.stage[1]] } },
            order: { field: 'order', type: 'quantitative' },
            tooltip: [{ field: 'filter' }, { field: 'part' }, { field: 'label', title: 'median' }],
          },
        },
      ],
    } as Spec),
  };
}

/** The Extism charts, when startup.json has the Extism rows. */
export async function extismCharts(e: ExtismStartup | undefined): Promise<Chart[]> {
  return e ? [await extismTileChart(e), await extismStepsChart(e)] : [];
}
