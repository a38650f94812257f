/** Renders a benchmark report as the Markdown table the README and bench.md show. */
import { formatMachine } from './machine.js';
import { REFERENCE_LADDER } from './reference-figures.js';
import type { BenchReport, BenchResult } from './types.js';

const s = (ms: number) => (Number.isFinite(ms) ? (ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms)} ms`) : '—');
const x = (v: number) => (Number.isFinite(v) ? `${v >= 10 ? v.toFixed(0) : v.toFixed(1)}×` : '—');
const ok = (r: BenchResult) => (r.verified ? '✓' : '✗');

function find(results: BenchResult[], filter: string, strategy: string, workers: number): BenchResult | undefined {
  return results.find((r) => r.filter === filter && r.strategy === strategy && r.workers === workers);
}

function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/** The ladder for one filter: the reference's rungs beside tessera's, then the rungs above. */
function ladder(report: BenchReport, filter: string, counts: number[]): string {
  const multi = counts.length ? Math.max(...counts) : 1;
  const rows: string[][] = [];
  const rung = (label: string, strategy: string, refSingle?: number, refMulti?: number) => {
    const one = find(report.results, filter, strategy, 1);
    const many = find(report.results, filter, strategy, multi);
    if (!one && !many) return;
    const ref = filter === 'grayscale' && refSingle !== undefined ? [`${refSingle} s`, `${refMulti} s`] : ['—', '—'];
    // The reference's figures are for the 24-image set; a ratio on fewer images would flatter.
    const comparable = filter === 'grayscale' && refSingle !== undefined && report.dataset.images === 24;
    rows.push([label, ...ref, one ? s(one.medianMs) : '—', many && multi > 1 ? s(many.medianMs) : '—',
      many ? `${many.mpxPerS.toFixed(1)}` : one ? one.mpxPerS.toFixed(1) : '—',
      one && comparable ? x((refSingle! * 1000) / one.medianMs) : '—',
      [one, many].filter(Boolean).every((r) => r!.verified) ? '✓' : '✗']);
  };
  for (const r of REFERENCE_LADDER.rungs) rung(`${r.name} → \`${r.strategy}\``, r.strategy, r.singleS, r.multiS);
  rung('`copy`, fresh instance per tile', 'copy-instance');
  rung('zero-copy → `shared`', 'shared');
  const top = find(report.results, filter, 'shared', multi);
  const disk = find(report.results, filter, 'disk', multi);
  const note = top && disk ? `\n\nTop rung vs \`disk\` in this run (${multi} workers): ${x(disk.medianMs / top.medianMs)} faster.` : '';
  return (
    table(['rung', `reference 1 thread`, `reference ${REFERENCE_LADDER.workers} workers`, 'tessera 1 worker', `tessera ${multi} workers`, `Mpx/s (${multi})`, 'vs reference (1 thread)', 'verified'], rows) + note
  );
}

function peersTable(report: BenchReport, filter: string): string {
  const rows = report.results
    .filter((r) => r.filter === filter && (r.kind === 'peer' || r.strategy === 'shared'))
    .sort((a, b) => a.medianMs - b.medianMs)
    .map((r) => [
      r.kind === 'tessera' ? `**tessera \`${r.strategy}\`**` : r.strategy,
      String(r.workers),
      s(r.medianMs),
      r.mpxPerS.toFixed(1),
      r.filterStage ? s(r.filterStage.medianMs) : '—',
      r.filterStage ? r.filterStage.mpxPerS.toFixed(0) : '—',
      s(r.coldMs),
      r.peakRssMb.toFixed(0),
      ok(r),
    ]);
  return table(['pipeline', 'threads', 'end to end (median)', 'Mpx/s', 'filter stage (median)', 'filter Mpx/s', 'cold', 'peak RSS MB', 'verified'], rows);
}

function stagesTable(report: BenchReport, filter: string): string {
  const rows = report.results
    .filter((r) => r.filter === filter && r.stages)
    .map((r) => {
      const st = r.stages!;
      return [`\`${r.strategy}\``, String(r.workers), s(r.medianMs), s(st.decodeMs), s(st.splitMs), s(st.filterMs), s(st.assembleMs), s(st.encodeMs)];
    });
  return table(['strategy', 'workers', 'wall (median)', 'decode', 'split', 'filter', 'assemble', 'encode'], rows);
}

/** The whole bench.md. */
export function renderMarkdown(report: BenchReport): string {
  const counts = [...new Set(report.results.map((r) => r.workers))].sort((a, b) => a - b);
  const d = report.dataset;
  const parts = [
    `# tessera bench — ${report.date.slice(0, 10)}`,
    '',
    `Machine: ${formatMachine(report.machine)}.`,
    `Dataset: ${d.images} images, ${d.megapixels.toFixed(2)} Mpx (${d.synthetic ? 'synthetic Kodak-shaped set, `tessera dataset synth`' : d.path}). ` +
      `Tiles ${report.settings.tileSize}×${report.settings.tileSize}; median of ${report.settings.repeat} runs after ${report.settings.warmup} warm-up; ` +
      `PNG out: compression ${JSON.stringify(report.settings.png)} for tessera and every peer; gray output is 1-channel everywhere.`,
    `Reference figures: the published Go + Rust/WasmEdge pipeline, ${REFERENCE_LADDER.machine}, grayscale only, ${REFERENCE_LADDER.workers} workers for the multi-threaded column.`,
  ];
  for (const filter of report.settings.filters) {
    const label = filter === 'gaussian-blur' ? `gaussian-blur σ=${report.settings.sigma}` : filter;
    parts.push('', `## ${label}: the ladder`, '', ladder(report, filter, counts));
    if (report.results.some((r) => r.filter === filter && r.kind === 'peer')) {
      parts.push('', `## ${label}: tessera beside the peers`, '', peersTable(report, filter));
    }
    parts.push('', `## ${label}: where the time goes`, '', 'Busy time per stage in the median run, summed over images and threads (stages overlap, so they add up to more than the wall time).', '', stagesTable(report, filter));
  }
  if (report.kernels.length) {
    parts.push('', '## Kernels on one core', '', 'Each filter\'s WASM `filter` calls alone over every 256×256 tile (shared layout, nothing copied), one thread, beside a memcpy of the same pixels in the same run.', '',
      table(['filter', 'Mpx/s (1 core)', 'memcpy Mpx/s', 'of memcpy'], report.kernels.map((k) => [k.filter, k.mpxPerS.toFixed(0), k.memcpyMpxPerS.toFixed(0), k.ofMemcpy.toFixed(2)])));
  }
  if (report.skipped.length) {
    parts.push('', '## Not measured here', '', ...report.skipped.map((k) => `- ${k.strategy}: ${k.reason}`));
  }
  const unverified = report.results.filter((r) => !r.verified);
  if (unverified.length) parts.push('', `**Unverified cells:** ${unverified.map((r) => `${r.filter}/${r.strategy}×${r.workers}`).join(', ')}`);
  return parts.join('\n') + '\n';
}
