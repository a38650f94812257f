/** The scaling curve of `tessera bench cluster`: speed-up over one machine against worker machines, one line per filter, beside the ideal. */
import type { ClusterReport } from '../cluster/types.js';
import { formatRatio } from '../format.js';
import { COLORS, renderSvg, type Chart, type Spec } from './render.js';

/** The scaling targets of issue 13: 2 workers ≥ 1.7×, 4 workers ≥ 3.2× one machine. */
export const CLUSTER_TARGETS = [
  { workers: 2, speedup: 1.7 },
  { workers: 4, speedup: 3.2 },
] as const;

/** Vega-Lite spec of the scaling curve (exported for tests and for pages that embed the spec). */
export function clusterScalingSpec(r: ClusterReport): Spec {
  const rows = r.rows.filter((x) => x.kind === 'queue' && Number.isFinite(x.speedup));
  const values = rows.map((x) => ({ filter: x.filter, workers: x.workers, speedup: x.speedup, label: formatRatio(x.speedup), verified: x.verified }));
  const counts = [...new Set([1, ...rows.map((x) => x.workers)])].sort((a, b) => a - b);
  const maxK = Math.max(...counts);
  const ideal = counts.map((k) => ({ workers: k, speedup: k }));
  const targets = CLUSTER_TARGETS.filter((t) => t.workers <= maxK).map((t) => ({ ...t, label: `target ${formatRatio(t.speedup)}` }));
  const top = Math.max(maxK, ...values.map((v) => v.speedup)) * 1.08;
  const x = { field: 'workers', type: 'quantitative', title: 'worker machines', scale: { domain: [0.8, maxK + 0.2], nice: false }, axis: { values: counts, format: 'd', grid: false } } as const;
  const y = { field: 'speedup', type: 'quantitative', title: 'speed-up vs one machine (×)', scale: { domain: [0, top], nice: false } } as const;
  return {
    width: 520,
    height: 280,
    layer: [
      { data: { values: [{ speedup: 1 }] }, mark: { type: 'rule', color: COLORS.muted, strokeDash: [2, 3] }, encoding: { y: { ...y } } },
      { data: { values: ideal }, mark: { type: 'line', color: '#b0b5c2', strokeDash: [6, 4], strokeWidth: 1.5 }, encoding: { x, y } },
      ...(targets.length
        ? [
            { data: { values: targets }, mark: { type: 'point', shape: 'diamond', filled: false, color: COLORS.muted, size: 90 }, encoding: { x, y, tooltip: [{ field: 'label' }] } },
            { data: { values: targets }, mark: { type: 'text', align: 'left', dx: 8, dy: 0, color: COLORS.muted, fontSize: 10 }, encoding: { x, y, text: { field: 'label' } } },
          ]
        : []),
      {
        data: { values },
        mark: { type: 'line', point: true },
        encoding: {
          x,
          y,
          color: { field: 'filter', type: 'nominal', title: 'filter', sort: r.settings.filters, scale: { range: [COLORS.tessera, COLORS.stage[0], COLORS.stage[3], COLORS.stage[4]] } },
          tooltip: [{ field: 'filter' }, { field: 'workers' }, { field: 'label', title: 'speed-up' }],
        },
      },
      // Labels above the points of the 1st, 3rd… filter and below those of the others, so that close curves keep readable labels.
      ...[0, 1].map((parity) => ({
        data: { values: values.filter((v) => r.settings.filters.indexOf(v.filter) % 2 === parity) },
        mark: { type: 'text', align: 'left', dx: 7, dy: parity ? 12 : -9, fontSize: 10.5 },
        encoding: { x, y, text: { field: 'label' }, color: { field: 'filter', type: 'nominal', sort: r.settings.filters } },
      })),
    ],
  } as unknown as Spec;
}

/** The scaling curve, rendered to SVG; undefined when no queue row was measured. */
export async function clusterScalingChart(r: ClusterReport): Promise<Chart | undefined> {
  if (!r.rows.some((x) => x.kind === 'queue' && Number.isFinite(x.speedup))) return undefined;
  return {
    id: 'cluster-scaling',
    group: 'bench',
    title: 'Scaling: coordinator + K workers against one machine',
    caption:
      `Median wall time of one machine ÷ that of a coordinator with K worker machines, each machine capped at ${r.settings.cpuCap} CPU; ` +
      'the dashed line is ideal scaling (K×), the dotted one is parity with one machine, diamonds are the targets (2 workers 1.7×, 4 workers 3.2×).',
    svg: await renderSvg(clusterScalingSpec(r)),
  };
}
