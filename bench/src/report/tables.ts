/** HTML tables and panels of the report: the ladder, the targets, the facts about the run. */
import type { StartupReport } from '../startup/types.js';
import { REFERENCE_LADDER } from '../reference-figures.js';
import type { BenchReport, BenchResult } from '../types.js';
import { filterLabel } from './charts.js';
import { fmtMs, fmtX, isolationRatios, type TargetCheck } from './summary.js';

/** Escapes text for HTML. */
export const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
/** Escapes, then renders `code` spans. */
export const inline = (s: string) => esc(s).replace(/`([^`]+)`/g, '<code>$1</code>');

const RUNGS = [
  { strategy: 'disk', rung: 'naive', what: 'each tile PNG-encoded to a temp dir; a fresh filter process per tile' },
  { strategy: 'pipe', rung: 'optimized', what: 'tiles streamed through stdin/stdout of long-lived WASI filter processes' },
  { strategy: 'copy', rung: 'super optimized', what: 'raw tile bytes copied into a pooled instance’s linear memory' },
  { strategy: 'copy-instance', rung: 'fresh instance per tile', what: 'as copy, but every tile gets a fresh instance (fresh globals and zeroed memory)' },
  { strategy: 'shared', rung: 'zero-copy (new)', what: 'one shared memory; a tile is an offset and a stride, nothing copied' },
];

function find(bench: BenchReport, filter: string, strategy: string, workers: number): BenchResult | undefined {
  return bench.results.find((r) => r.filter === filter && r.strategy === strategy && r.workers === workers);
}

/** The ladder of one filter, the reference's published figures beside tessera's. */
export function ladderTable(bench: BenchReport, filter: string): string {
  const counts = [...new Set(bench.results.filter((r) => r.filter === filter && r.kind === 'tessera').map((r) => r.workers))].sort((a, b) => a - b);
  if (!counts.length) return '';
  const many = counts[counts.length - 1];
  const withRef = filter === 'grayscale';
  const comparable = withRef && bench.dataset.images === 24;
  const best = Math.min(...bench.results.filter((r) => r.filter === filter && r.kind === 'tessera').map((r) => r.medianMs));
  const rows = RUNGS.flatMap((g) => {
    const cells = counts.map((w) => find(bench, filter, g.strategy, w));
    if (cells.every((c) => !c)) return [];
    const ref = REFERENCE_LADDER.rungs.find((r) => r.strategy === g.strategy);
    const one = cells[0];
    const top = cells[cells.length - 1];
    const t = (c?: BenchResult) => (c ? `<td class="num${c.medianMs === best ? ' best' : ''}">${fmtMs(c.medianMs)}</td>` : '<td class="num dim">—</td>');
    const verified = cells.filter(Boolean).every((c) => c!.verified);
    return [
      `<tr><th scope="row"><code>${g.strategy}</code><span class="rung">${esc(g.rung)}</span></th><td class="what">${esc(g.what)}</td>` +
        (withRef ? `<td class="num ref">${ref ? `${ref.singleS} s` : '—'}</td><td class="num ref">${ref ? `${ref.multiS} s` : '—'}</td>` : '') +
        cells.map(t).join('') +
        `<td class="num">${top ? top.mpxPerS.toFixed(1) : '—'}</td>` +
        (withRef ? `<td class="num">${ref && one && comparable ? fmtX((ref.singleS * 1000) / one.medianMs) : '—'}</td>` : '') +
        `<td class="ok">${verified ? '<span class="yes" title="every output bit-identical to the reference">✓</span>' : '<span class="no">✗</span>'}</td></tr>`,
    ];
  });
  const head =
    `<tr><th>rung</th><th>what moves the pixels</th>` +
    (withRef ? `<th class="num ref">reference<br>1 thread</th><th class="num ref">reference<br>${REFERENCE_LADDER.workers} workers</th>` : '') +
    counts.map((w) => `<th class="num">tessera<br>${w} worker${w > 1 ? 's' : ''}</th>`).join('') +
    `<th class="num">Mpx/s<br>(${many})</th>` +
    (withRef ? '<th class="num">vs reference<br>(1 thread)</th>' : '') +
    '<th>verified</th></tr>';
  return `<table class="ladder"><caption>${esc(filterLabel(bench, filter))}</caption><thead>${head}</thead><tbody>${rows.join('')}</tbody></table>`;
}

/** The isolation ratios in one sentence, for under the ladder. */
export function isolationSentence(bench: BenchReport): string {
  const r = isolationRatios(bench);
  if (!r.length) return '';
  const at = (x: number, w: number) => `${fmtX(x)} (${w} worker${w > 1 ? 's' : ''})`;
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
