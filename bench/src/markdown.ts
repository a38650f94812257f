/** Renders a benchmark report as the Markdown tables the README and bench.md show. */
import { formatBytes, formatMpx, formatMs, formatRatio, markdownTable } from './format.js';
import { bigDescription, busySentence, filterLabel, IN_PROCESS, processDescription, WHOLE_PROCESS } from './labels.js';
import { findResult, markdownRungLabel, REFERENCE_LADDER, RUNGS } from './ladder.js';
import { formatMachine } from './machine.js';
import type { BenchReport, BenchResult, BigCase, ProcessCell, ProcessCommandResult, Spread } from './types.js';

const ms = (v: number) => formatMs(v, 'table');
const ok = (verified: boolean) => (verified ? '✓' : '✗');
const range = (sp: Spread, f: (v: number) => string) => `${f(sp.min)}–${f(sp.max)}`;

/** The ladder for one filter: the reference's rungs beside tessera's, then the rungs above. */
function ladder(report: BenchReport, filter: string, counts: number[]): string {
  const multi = counts.length ? Math.max(...counts) : 1;
  const rows = RUNGS.flatMap((rung) => {
    const one = findResult(report, filter, rung.strategy, 1);
    const many = findResult(report, filter, rung.strategy, multi);
    if (!one && !many) return [];
    const ref = 'reference' in rung && filter === 'grayscale' ? rung.reference : undefined;
    // The reference's figures are for the 24-image set; a ratio on fewer images would flatter.
    const comparable = ref !== undefined && report.dataset.images === 24;
    return [[
      markdownRungLabel(rung),
      ...(ref ? [`${ref.singleS} s`, `${ref.multiS} s`] : ['—', '—']),
      one ? ms(one.medianMs) : '—',
      many && multi > 1 ? ms(many.medianMs) : '—',
      many ? many.mpxPerS.toFixed(1) : one ? one.mpxPerS.toFixed(1) : '—',
      one && comparable ? formatRatio((ref.singleS * 1000) / one.medianMs, 'table') : '—',
      ok([one, many].every((r) => !r || r.verified)),
    ]];
  });
  const top = findResult(report, filter, 'shared', multi);
  const disk = findResult(report, filter, 'disk', multi);
  const note = top && disk ? `\n\nTop rung vs \`disk\` in this run (${multi} workers): ${formatRatio(disk.medianMs / top.medianMs, 'table')} faster.` : '';
  const head = ['rung', 'reference 1 thread', `reference ${REFERENCE_LADDER.workers} workers`, 'tessera 1 worker', `tessera ${multi} workers`, `Mpx/s (${multi})`, 'vs reference (1 thread)', 'verified'];
  return markdownTable(head, rows) + note;
}

function peersTable(report: BenchReport, filter: string): string {
  const rows = report.results
    .filter((r) => r.filter === filter && (r.kind === 'peer' || r.strategy === 'shared'))
    .sort((a, b) => a.medianMs - b.medianMs)
    .map((r) => [
      r.kind === 'tessera' ? `**tessera \`${r.strategy}\`**` : r.strategy,
      String(r.workers),
      ms(r.medianMs),
      r.mpxPerS.toFixed(1),
      r.filterStage ? ms(r.filterStage.medianMs) : '—',
      r.filterStage ? r.filterStage.mpxPerS.toFixed(0) : '—',
      ms(r.coldMs),
      r.peakRssMb.toFixed(0),
      ok(r.verified),
    ]);
  return markdownTable(['pipeline', 'threads', 'end to end (median)', 'Mpx/s', 'filter stage (median)', 'filter Mpx/s', 'cold', 'peak RSS MB', 'verified'], rows);
}

/** The whole-process cells of one filter: each command's wall and CPU time, then tessera / sharp pair by pair. */
function processTable(cells: ProcessCell[]): string {
  const rows = cells.flatMap((c) => {
    const input = `${c.input === 'image' ? 'one image' : `${c.images} images`}, ${c.megapixels.toFixed(2)} Mpx`;
    const command = (r: ProcessCommandResult) => [
      input,
      r.name === 'tessera' ? '`tessera run`' : 'sharp script',
      String(r.runs),
      ms(r.wall.median),
      range(r.wall, ms),
      ms(r.cpu.median),
      range(r.cpu, ms),
      r.peakRssMb === undefined ? '—' : r.peakRssMb.toFixed(0),
      formatBytes(r.outputBytes),
      ok(r.verified),
    ];
    const x = (v: number) => formatRatio(v);
    const pairs = `${Math.min(c.tessera.runs, c.sharp.runs)} pairs`;
    return [command(c.tessera), command(c.sharp), [input, '**tessera / sharp**', pairs, `**${x(c.wallRatio.median)}**`, range(c.wallRatio, x), `**${x(c.cpuRatio.median)}**`, range(c.cpuRatio, x), '', '', '']];
  });
  return markdownTable(['input', 'command', 'runs', 'wall (median)', 'wall min–max', 'CPU user+sys (median)', 'CPU min–max', 'peak RSS MiB', 'output', 'verified'], rows);
}

/** The big case: per size, each command's wall, CPU and peak RSS, then tessera / sharp. */
function bigTable(big: BigCase): string {
  const rss = (r: ProcessCommandResult) => (r.peakRssMb === undefined ? '—' : r.peakRssMb.toFixed(0));
  const x = (v: number | undefined) => (v === undefined ? '—' : formatRatio(v));
  const rows = big.sizes.map((b) => {
    const size = `${b.side}×${b.side} (${formatMpx(b.megapixels)})`;
    const bold = (v: string) => (b.headline ? `**${v}**` : v);
    return [
      bold(size),
      String(b.tessera.runs),
      ms(b.tessera.wall.median),
      ms(b.tessera.cpu.median),
      rss(b.tessera),
      ms(b.sharp.wall.median),
      ms(b.sharp.cpu.median),
      rss(b.sharp),
      bold(x(b.wallRatio.median)),
      bold(x(b.cpuRatio.median)),
      bold(x(b.rssRatio)),
      b.check.meanAbsDiff.toFixed(2),
      ok(b.tessera.verified && b.sharp.verified),
    ];
  });
  return markdownTable(
    ['image', 'pairs', 'tessera wall', 'tessera CPU', 'tessera peak RSS MiB', 'sharp wall', 'sharp CPU', 'sharp peak RSS MiB', 'wall ratio', 'CPU ratio', 'peak RSS ratio', 'mean abs diff vs sharp', 'verified'],
    rows,
    ['left', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'center'],
  );
}

function stagesTable(report: BenchReport, filter: string): string {
  const rows = report.results
    .filter((r) => r.filter === filter && r.stages)
    .map((r) => {
      const st = r.stages!;
      return [`\`${r.strategy}\``, String(r.workers), ms(r.medianMs), ms(st.decodeMs), ms(st.splitMs), ms(st.filterMs), ms(st.assembleMs), ms(st.encodeMs)];
    });
  return markdownTable(['strategy', 'workers', 'wall (median)', 'decode', 'split', 'filter', 'assemble', 'encode'], rows);
}

/** Every cell (in-process or whole-process) whose outputs were not verified, by name. */
export function unverifiedCells(report: BenchReport): string[] {
  return [
    ...report.results.filter((r: BenchResult) => !r.verified).map((r) => `${r.filter}/${r.strategy}×${r.workers}`),
    ...(report.processCells ?? []).flatMap((c) => [c.tessera, c.sharp].filter((r) => !r.verified).map((r) => `${c.filter}/whole process ${r.name} (${c.input})`)),
    ...(report.big?.sizes ?? []).flatMap((b) => [b.tessera, b.sharp].filter((r) => !r.verified).map((r) => `${report.big!.filter}/big image ${r.name} (${b.side}×${b.side})`)),
  ];
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
    `Reference figures: the published Go + Rust/WasmEdge pipeline, ${REFERENCE_LADDER.machine} (${REFERENCE_LADDER.cores} cores), grayscale only, ${REFERENCE_LADDER.workers} workers for the multi-threaded column.`,
    `Two kinds of figure: **${IN_PROCESS}** — a session (or peer) kept open in the bench's process and timed over repeated runs, start-up excluded; ` +
      `**${WHOLE_PROCESS}** — the command started as a fresh process each time, module loading, start-up and exit included.`,
  ];
  for (const filter of report.settings.filters) {
    const label = filterLabel(report, filter);
    parts.push('', `## ${label}: the ladder — ${IN_PROCESS}`, '', ladder(report, filter, counts));
    const cells = (report.processCells ?? []).filter((c) => c.filter === filter);
    if (cells.length) {
      const busy = busySentence(cells, report.machine.cpus);
      parts.push('', `## ${label}: ${WHOLE_PROCESS}`, '', processDescription(cells[0]), '', processTable(cells), ...(busy ? ['', busy] : []));
    }
    if (report.results.some((r) => r.filter === filter && r.kind === 'peer')) {
      parts.push('', `## ${label}: tessera beside the peers — ${IN_PROCESS}`, '', peersTable(report, filter));
    }
    parts.push('', `## ${label}: where the time goes — ${IN_PROCESS}`, '', 'Busy time per stage in the median run, summed over images and threads (stages overlap, so they add up to more than the wall time).', '', stagesTable(report, filter));
  }
  if (report.big?.sizes.length) {
    const busy = busySentence(report.big.sizes, report.machine.cpus);
    parts.push('', `## ${filterLabel(report, 'gaussian-blur')}: one large image — ${WHOLE_PROCESS}`, '', bigDescription(report.big), '', bigTable(report.big), ...(busy ? ['', busy] : []));
  }
  if (report.kernels.length) {
    parts.push('', '## Kernels on one core', '', 'Each filter\'s WASM `filter` calls alone over every 256×256 tile (shared layout, nothing copied), one thread, beside a memcpy of the same pixels in the same run.', '',
      markdownTable(['filter', 'Mpx/s (1 core)', 'memcpy Mpx/s', 'of memcpy'], report.kernels.map((k) => [k.filter, k.mpxPerS.toFixed(0), k.memcpyMpxPerS.toFixed(0), k.ofMemcpy.toFixed(2)])));
  }
  if (report.skipped.length) {
    parts.push('', '## Not measured here', '', ...report.skipped.map((k) => `- ${k.strategy}: ${k.reason}`));
  }
  const unverified = unverifiedCells(report);
  if (unverified.length) parts.push('', `**Unverified cells:** ${unverified.join(', ')}`);
  return parts.join('\n') + '\n';
}
