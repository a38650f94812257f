/** HTML tables and panels of the report: the ladder, the targets, the facts about the run. */
import { countOf, formatBytes, formatMpx, formatMs, formatRatio } from '../format.js';
import { bigDescription, busySentence, filterLabel, IN_PROCESS, processDescription, WHOLE_PROCESS } from '../labels.js';
import { findResult, REFERENCE_LADDER, RUNGS } from '../ladder.js';
import type { StartupReport } from '../startup/types.js';
import type { BenchReport, BenchResult, BigImageRun, ProcessCell, ProcessCommandResult, Spread } from '../types.js';
import { isolationRatios, type TargetCheck } from './summary.js';

/** Escapes text for HTML. */
export const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
/** Escapes, then renders `code` spans. */
export const inline = (s: string) => esc(s).replace(/`([^`]+)`/g, '<code>$1</code>');

/** The verified column's marks. */
const VERIFIED_MARK = '<span class="yes" title="every output bit-identical to the reference">✓</span>';
const VERIFIED_MARK_SHAPE = '<span class="yes" title="every output a PNG of the right size">✓</span>';
const UNVERIFIED_MARK = '<span class="no">✗</span>';

/** The ladder of one filter, the reference's published figures beside tessera's. */
export function ladderTable(bench: BenchReport, filter: string): string {
  const counts = [...new Set(bench.results.filter((r) => r.filter === filter && r.kind === 'tessera').map((r) => r.workers))].sort((a, b) => a - b);
  if (!counts.length) return '';
  const many = counts[counts.length - 1];
  const withRef = filter === 'grayscale';
  const comparable = withRef && bench.dataset.images === 24;
  const best = Math.min(...bench.results.filter((r) => r.filter === filter && r.kind === 'tessera').map((r) => r.medianMs));
  const rows = RUNGS.flatMap((g) => {
    const cells = counts.map((w) => findResult(bench, filter, g.strategy, w));
    if (cells.every((c) => !c)) return [];
    const ref = 'reference' in g ? g.reference : undefined;
    const one = cells[0];
    const top = cells[cells.length - 1];
    const t = (c?: BenchResult) => (c ? `<td class="num${c.medianMs === best ? ' best' : ''}">${formatMs(c.medianMs)}</td>` : '<td class="num dim">—</td>');
    const verified = cells.filter(Boolean).every((c) => c!.verified);
    return [
      `<tr><th scope="row"><code>${g.strategy}</code><span class="rung">${esc(g.name)}</span></th><td class="what">${esc(g.what)}</td>` +
        (withRef ? `<td class="num ref">${ref ? `${ref.singleS} s` : '—'}</td><td class="num ref">${ref ? `${ref.multiS} s` : '—'}</td>` : '') +
        cells.map(t).join('') +
        `<td class="num">${top ? top.mpxPerS.toFixed(1) : '—'}</td>` +
        (withRef ? `<td class="num">${ref && one && comparable ? formatRatio((ref.singleS * 1000) / one.medianMs) : '—'}</td>` : '') +
        `<td class="ok">${verified ? VERIFIED_MARK : UNVERIFIED_MARK}</td></tr>`,
    ];
  });
  const head =
    `<tr><th>rung</th><th>what moves the pixels</th>` +
    (withRef ? `<th class="num ref">reference<br>1 thread</th><th class="num ref">reference<br>${REFERENCE_LADDER.workers} workers</th>` : '') +
    counts.map((w) => `<th class="num">tessera<br>${countOf(w, 'worker')}</th>`).join('') +
    `<th class="num">Mpx/s<br>(${many})</th>` +
    (withRef ? '<th class="num">vs reference<br>(1 thread)</th>' : '') +
    '<th>verified</th></tr>';
  return `<table class="ladder"><caption>${esc(filterLabel(bench, filter))} <span class="kind">${IN_PROCESS}</span></caption><thead>${head}</thead><tbody>${rows.join('')}</tbody></table>`;
}


/** The whole-process cells: `tessera run` and the sharp script as child processes, wall and CPU time, and tessera / sharp pair by pair. */
export function processTable(bench: BenchReport): string {
  const cells = bench.processCells ?? [];
  if (!cells.length) return '';
  const span = (sp: Spread, f: (v: number) => string) => `<td class="num dim">${f(sp.min)}–${f(sp.max)}</td>`;
  const rows = cells.flatMap((c: ProcessCell) => {
    const input = `${esc(filterLabel(bench, c.filter))}<span class="rung">${c.input === 'image' ? 'one image' : `${c.images} images`}, ${c.megapixels.toFixed(2)} Mpx</span>`;
    const command = (r: ProcessCommandResult, first: boolean) =>
      `<tr>${first ? `<th scope="row" rowspan="3">${input}</th>` : ''}<td><code>${esc(r.command)}</code></td><td class="num">${r.runs}</td>` +
      `<td class="num">${formatMs(r.wall.median)}</td>${span(r.wall, formatMs)}<td class="num">${formatMs(r.cpu.median)}</td>${span(r.cpu, formatMs)}` +
      `<td class="num">${r.peakRssMb === undefined ? '—' : r.peakRssMb.toFixed(0)}</td><td class="num">${formatBytes(r.outputBytes)}</td>` +
      `<td class="ok">${r.verified ? (r.name === 'tessera' ? VERIFIED_MARK : VERIFIED_MARK_SHAPE) : UNVERIFIED_MARK}</td></tr>`;
    const ratio =
      `<tr class="ratio"><td>tessera / sharp, pair by pair</td><td class="num">${Math.min(c.tessera.runs, c.sharp.runs)}</td>` +
      `<td class="num figure">${formatRatio(c.wallRatio.median)}</td>${span(c.wallRatio, formatRatio)}<td class="num figure">${formatRatio(c.cpuRatio.median)}</td>${span(c.cpuRatio, formatRatio)}<td></td><td></td><td></td></tr>`;
    return [command(c.tessera, true), command(c.sharp, false), ratio];
  });
  const head =
    '<tr><th>input</th><th>command</th><th class="num">runs</th><th class="num">wall<br>median</th><th class="num">wall<br>min–max</th>' +
    '<th class="num">CPU user+sys<br>median</th><th class="num">CPU<br>min–max</th><th class="num">peak RSS<br>MiB</th><th class="num">output</th><th>verified</th></tr>';
  return `<table class="process"><caption>${esc(WHOLE_PROCESS[0].toUpperCase() + WHOLE_PROCESS.slice(1))}</caption><thead>${head}</thead><tbody>${rows.join('')}</tbody></table>`;
}

/** The big case: per image size, `tessera run` and the sharp script side by side — wall, CPU, peak RSS — and tessera / sharp. */
export function bigTable(bench: BenchReport): string {
  const sizes = bench.big?.sizes ?? [];
  if (!sizes.length) return '';
  const num = (v: string, strong = false) => `<td class="num${strong ? ' figure' : ''}">${v}</td>`;
  const rss = (r: ProcessCommandResult) => (r.peakRssMb === undefined ? '—' : r.peakRssMb.toFixed(0));
  const ratio = (v: number | undefined) => (v === undefined ? '—' : formatRatio(v));
  const rows = sizes.map((b: BigImageRun) => {
    const size = `${b.side}×${b.side}<span class="rung">${formatMpx(b.megapixels)}${b.headline ? ' · headline' : ''}</span>`;
    const ok = b.tessera.verified && b.sharp.verified;
    return (
      `<tr${b.headline ? ' class="headline"' : ''}><th scope="row">${size}</th>${num(String(b.tessera.runs))}` +
      num(formatMs(b.tessera.wall.median)) + num(formatMs(b.tessera.cpu.median)) + num(rss(b.tessera)) +
      num(formatMs(b.sharp.wall.median)) + num(formatMs(b.sharp.cpu.median)) + num(rss(b.sharp)) +
      num(ratio(b.wallRatio.median), b.headline) + num(ratio(b.cpuRatio.median), b.headline) + num(ratio(b.rssRatio), b.headline) + num(b.check.meanAbsDiff.toFixed(2)) +
      `<td class="ok">${ok ? '<span class="yes" title="tessera bit-identical to the reference on the checked band and close to sharp; both outputs of the right size">✓</span>' : UNVERIFIED_MARK}</td></tr>`
    );
  });
  const head =
    '<tr><th rowspan="2">image</th><th class="num" rowspan="2">pairs</th><th colspan="3">tessera run</th><th colspan="3">sharp script</th><th colspan="3">tessera / sharp</th><th class="num" rowspan="2">mean |Δ|<br>vs sharp</th><th rowspan="2">verified</th></tr>' +
    '<tr>' + ['wall', 'CPU user+sys', 'peak RSS MiB', 'wall', 'CPU user+sys', 'peak RSS MiB', 'wall', 'CPU', 'peak RSS'].map((h) => `<th class="num">${h}</th>`).join('') + '</tr>';
  return `<table class="process big"><caption>${esc(filterLabel(bench, 'gaussian-blur'))}, one large image <span class="kind">${WHOLE_PROCESS}</span></caption><thead>${head}</thead><tbody>${rows.join('')}</tbody></table>`;
}

/** What the big-case table measures, for under it. */
export function bigNote(bench: BenchReport): string {
  if (!bench.big?.sizes.length) return '';
  return inline([bigDescription(bench.big), busySentence(bench.big.sizes, bench.machine.cpus)].filter(Boolean).join(' '));
}

/** What the whole-process table measures, for under it. */
export function processNote(bench: BenchReport): string {
  const cells = bench.processCells ?? [];
  if (!cells.length) return '';
  return inline([processDescription(cells[0], 'tessera run'), busySentence(cells, bench.machine.cpus)].filter(Boolean).join(' '));
}

/** The isolation ratios in one sentence, for under the ladder. */
export function isolationSentence(bench: BenchReport): string {
  const r = isolationRatios(bench);
  if (!r.length) return '';
  const at = (x: number, w: number) => `${formatRatio(x)} (${countOf(w, 'worker')})`;
  const inst = r.map((x) => at(x.instance, x.workers)).join(' and ');
  const proc = r.filter((x) => x.process !== undefined).map((x) => at(x.process!, x.workers)).join(' and ');
  return `Grayscale, whole run: a fresh instance per tile (<code>copy-instance</code>) costs ${inst} the wall time of a pooled instance (<code>copy</code>)${proc ? `; a fresh OS process per tile (<code>disk</code>) costs ${proc}` : ''}.`;
}

const STATUS_LABEL = { met: 'met', partly: 'partly met', 'not met': 'not met', 'not measured': 'not measured' } as const;

/** The targets as cards: claim, the figure, the status, how it was measured. */
export function targetCards(checks: TargetCheck[]): string {
  return `<div class="cards">${checks
    .map(
      (c) =>
        `<article class="card status-${c.status.replace(' ', '-')}"><div class="badge">${STATUS_LABEL[c.status]}</div><h3>${inline(c.target)}</h3><p class="figure">${inline(c.measured)}</p><p class="detail">${inline(c.detail)}</p></article>`,
    )
    .join('')}</div>`;
}

/** Machine, runtime, data set and method, as a definition grid. */
export function factsGrid(bench: BenchReport, startup?: StartupReport): string {
  const m = bench.machine;
  const d = bench.dataset;
  const s = bench.settings;
  const items: Array<[string, string]> = [
    ['Machine', `${m.cpus} × ${m.model}, ${m.memoryGb} GiB`],
    ['Runtime', `Node ${m.node} · V8 ${m.v8}`],
    ['OS', m.os],
    ['Data set', `${d.images} images, ${d.megapixels.toFixed(2)} Mpx${d.synthetic ? ' — synthetic Kodak-shaped set' : ` — ${d.path}`}`],
    ['Method', `tiles ${s.tileSize}×${s.tileSize} · median of ${s.repeat} runs after ${s.warmup} warm-up · every output checked bit-identical`],
    ['PNG out', `zlib level ${(s.png as { compressionLevel?: number }).compressionLevel ?? '—'} for tessera and every peer; gray output 1-channel`],
  ];
  if (startup) items.push(['Start-up run', `${startup.date.slice(0, 16).replace('T', ' ')} UTC${sameMachine(bench, startup) ? ', same machine' : ` on ${startup.machine.cpus} × ${startup.machine.model}`}`]);
  return `<dl class="facts">${items.map(([k, v]) => `<div><dt>${esc(k)}</dt><dd>${esc(v)}</dd></div>`).join('')}</dl>`;
}

function sameMachine(b: BenchReport, s: StartupReport): boolean {
  return b.machine.model === s.machine.model && b.machine.cpus === s.machine.cpus && b.machine.node === s.machine.node;
}
