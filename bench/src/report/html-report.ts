/**
 * The self-contained HTML report: the targets, the ladder, charts rendered to SVG at
 * report time, and every table of bench.md (and startup.md). No script, font or style
 * is fetched: the file opens offline.
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { IN_PROCESS } from '../labels.js';
import { REFERENCE_LADDER } from '../ladder.js';
import { renderMarkdown } from '../markdown.js';
import { renderStartupMarkdown } from '../startup/markdown.js';
import type { StartupReport } from '../startup/types.js';
import type { BenchReport } from '../types.js';
import { buildCharts } from './charts.js';
import { markdownToHtml } from './markdown-html.js';
import { FONT, type Chart } from './render.js';
import { targetChecks } from './summary.js';
import { bigNote, bigTable, esc, factsGrid, inline, isolationSentence, ladderTable, processNote, processTable, targetCards } from './tables.js';

const STYLE = `
  :root { color-scheme: light; --ink: #1f2430; --muted: #5b6272; --line: #e3e6ee; --bg: #f5f6f9; --card: #fff; --accent: #e15759; --blue: #4e79a7; }
  * { box-sizing: border-box; }
  html { -webkit-text-size-adjust: 100%; }
  body { margin: 0; background: var(--bg); color: var(--ink); font: 15px/1.55 ${FONT}; font-feature-settings: "tnum" 1; }
  main { max-width: 1200px; margin: 0 auto; padding: 0 28px 72px; }
  header.hero { background: linear-gradient(135deg, #1f2a44 0%, #2c4770 60%, #35608f 100%); color: #fff; padding: 40px 0 30px; }
  header.hero .inner { max-width: 1200px; margin: 0 auto; padding: 0 28px; }
  .eyebrow { text-transform: uppercase; letter-spacing: .12em; font-size: 12px; opacity: .75; font-weight: 600; }
  header.hero h1 { font-size: 32px; line-height: 1.15; margin: 6px 0 8px; font-weight: 700; letter-spacing: -.01em; }
  header.hero p.lede { margin: 0 0 22px; max-width: 820px; color: #d9e2f0; font-size: 15.5px; }
  dl.facts { display: grid; grid-template-columns: repeat(auto-fit, minmax(240px, 1fr)); gap: 10px 26px; margin: 0; }
  dl.facts div { border-top: 1px solid rgba(255,255,255,.22); padding-top: 8px; }
  dl.facts dt { font-size: 11.5px; text-transform: uppercase; letter-spacing: .08em; opacity: .7; }
  dl.facts dd { margin: 2px 0 0; font-size: 14px; }
  nav.toc { position: sticky; top: 0; z-index: 2; background: rgba(245,246,249,.94); backdrop-filter: blur(6px); border-bottom: 1px solid var(--line); }
  nav.toc .inner { max-width: 1200px; margin: 0 auto; padding: 9px 28px; display: flex; flex-wrap: wrap; gap: 4px 18px; font-size: 13.5px; }
  nav.toc a { color: var(--muted); text-decoration: none; font-weight: 500; }
  nav.toc a:hover { color: var(--ink); }
  h2 { font-size: 22px; margin: 44px 0 6px; letter-spacing: -.005em; }
  h2 + p.intro { margin-top: 0; }
  p.intro { color: var(--muted); max-width: 860px; margin: 0 0 14px; }
  section.panel { background: var(--card); border: 1px solid var(--line); border-radius: 12px; padding: 20px 22px 16px; margin: 18px 0; box-shadow: 0 1px 2px rgba(16,24,40,.04); }
  section.panel h3 { font-size: 16.5px; margin: 0 0 4px; }
  section.panel p.caption { margin: 0 0 12px; color: var(--muted); max-width: 900px; font-size: 14px; }
  .svg { overflow-x: auto; }
  .svg svg { max-width: 100%; height: auto; display: block; }
  .cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(320px, 1fr)); gap: 16px; margin: 16px 0 8px; }
  .card { background: var(--card); border: 1px solid var(--line); border-top: 4px solid #9aa3b2; border-radius: 12px; padding: 16px 18px; position: relative; }
  .card h3 { font-size: 14.5px; margin: 8px 0 8px; line-height: 1.35; font-weight: 600; }
  .card .figure { font-size: 21px; font-weight: 700; margin: 0 0 8px; line-height: 1.3; }
  .card .detail { font-size: 13px; color: var(--muted); margin: 0; }
  .card .badge { display: inline-block; font-size: 11px; font-weight: 700; text-transform: uppercase; letter-spacing: .06em; padding: 2px 8px; border-radius: 999px; background: #eef0f4; color: var(--muted); }
  .card.status-met { border-top-color: #59a14f; } .card.status-met .badge { background: #e4f3e1; color: #2f6b28; }
  .card.status-partly { border-top-color: #e0a800; } .card.status-partly .badge { background: #fff3cd; color: #7a5a00; }
  .card.status-not-met { border-top-color: #d64541; } .card.status-not-met .badge { background: #fde2e1; color: #9b1c1a; }
  table { border-collapse: collapse; font-size: 13.5px; margin: 8px 0 16px; width: 100%; }
  table caption { text-align: left; font-weight: 600; font-size: 14.5px; padding: 0 0 6px; }
  th, td { padding: 7px 10px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
  thead th { font-size: 12px; color: var(--muted); font-weight: 600; border-bottom: 2px solid var(--line); line-height: 1.3; vertical-align: bottom; }
  td.num, th.num { text-align: right; white-space: nowrap; }
  td.ref, th.ref { color: #8a90a0; }
  td.best { font-weight: 700; color: var(--accent); }
  caption .kind { font-weight: 400; font-size: 12.5px; color: var(--muted); margin-left: 6px; }
  table.process tr.ratio td { border-bottom: 2px solid var(--line); }
  table.process td.figure { font-weight: 700; }
  table.process td code { white-space: normal; }
  td.what { color: var(--muted); font-size: 13px; }
  td.dim { color: #b0b5c2; }
  tbody th code { white-space: nowrap; }
  th .rung { display: block; font-weight: 400; font-size: 12px; color: var(--muted); }
  td.ok .yes { color: #2f8a3a; font-weight: 700; } td.ok .no { color: #c0392b; font-weight: 700; }
  code { font: 12.5px/1.4 ui-monospace, "SF Mono", Menlo, Consolas, "DejaVu Sans Mono", monospace; background: #eef0f5; padding: 1px 5px; border-radius: 4px; }
  p.note { font-size: 13.5px; color: var(--muted); margin: 4px 0 0; }
  details.tables { background: var(--card); border: 1px solid var(--line); border-radius: 12px; padding: 14px 22px; margin: 16px 0; }
  details.tables summary { cursor: pointer; font-weight: 600; }
  details.tables h1 { display: none; }
  details.tables h2 { font-size: 16px; margin: 26px 0 6px; }
  details.tables table { width: auto; font-size: 12.5px; }
  details.tables td, details.tables th { padding: 4px 10px; }
  details.tables p, details.tables li { font-size: 13.5px; color: var(--muted); }
  .warn { background: #fff3cd; border: 1px solid #f0d98c; border-radius: 8px; padding: 8px 12px; font-size: 13.5px; }
  footer { color: var(--muted); font-size: 12.5px; margin-top: 40px; }
  @media print { nav.toc { position: static; } section.panel, .card { break-inside: avoid; } }
`;

function chartPanel(c: Chart): string {
  return `<section class="panel chart" id="chart-${c.id}" data-chart="${c.id}"><h3>${esc(c.title)}</h3><p class="caption">${inline(c.caption)}</p><div class="svg" role="img" aria-label="${esc(c.title)}">${c.svg}</div></section>`;
}

/** A report page's head: one shape for every page the bench writes (self-contained, no CDN). */
export function pageHead(title: string, version: string, style: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="tessera ${esc(version)}">
<title>${esc(title)}</title>
<style>${style}</style>
</head>`;
}

/** Builds the report page. */
export async function renderHtmlReport(bench: BenchReport, startup?: StartupReport): Promise<string> {
  const charts = await buildCharts(bench, startup);
  const chart = (id: string) => {
    const c = charts.find((x) => x.id === id);
    return c ? chartPanel(c) : '';
  };
  const checks = targetChecks(bench, startup);
  const ladders = bench.settings.filters.map((f) => ladderTable(bench, f)).filter(Boolean);
  const unverified = bench.results.filter((r) => !r.verified);
  const warnings = [
    ...unverified.map((r) => `${r.filter} / ${r.strategy} ×${r.workers}: output NOT verified`),
    ...(bench.processCells ?? []).flatMap((c) => [c.tessera, c.sharp].filter((r) => !r.verified).map((r) => `${c.filter} / whole process ${r.name} (${c.input}): output NOT verified`)),
    ...(bench.big?.sizes ?? []).flatMap((b) => [b.tessera, b.sharp].filter((r) => !r.verified).map((r) => `gaussian-blur / big image ${r.name} (${b.side}×${b.side}): output NOT verified`)),
    ...bench.skipped.map((s) => `${s.strategy} not measured: ${s.reason}`),
  ];
  const nav = [
    ['targets', 'Targets'],
    ['ladder', 'The ladder'],
    ...(bench.processCells?.length ? [['process', 'Whole process']] : []),
    ...(bench.big?.sizes.length ? [['big', 'One large image']] : []),
    ['time', 'Where the time goes'],
    ...(charts.some((c) => c.id === 'peers') ? [['peers', 'Peers']] : []),
    ...(startup ? [['startup', 'Start-up & density']] : []),
    ['tables', 'All tables'],
  ];
  return `${pageHead(`tessera bench — ${bench.date.slice(0, 10)}`, bench.version, STYLE)}
<body>
<header class="hero"><div class="inner">
  <div class="eyebrow">tessera · benchmark report · ${esc(bench.date.slice(0, 16).replace('T', ' '))} UTC</div>
  <h1>Tiled image filters in WebAssembly, measured</h1>
  <p class="lede">Every rung of the reference pipeline's ladder — disk, pipes, copied pointers — plus zero-copy shared memory, beside native libvips and the other peers on the same images in the same run${startup ? ', and what a sandbox costs to start and to hold' : ''}.</p>
  ${factsGrid(bench, startup)}
</div></header>
<nav class="toc"><div class="inner">${nav.map(([id, label]) => `<a href="#${id}">${label}</a>`).join('')}</div></nav>
<main>
${warnings.length ? `<p class="warn">${warnings.map(esc).join('<br>')}</p>` : ''}
<h2 id="targets">Targets</h2>
<p class="intro">Isolation, start-up and density targets, judged on the figures of this run${startup ? '' : ' (run <code>tessera bench startup</code> for the start-up and density figures)'}.</p>
${targetCards(checks)}

<h2 id="ladder">The ladder</h2>
<p class="intro">Median wall time for the whole data set, files in to files out, ${IN_PROCESS}: one session kept open in the bench's process and timed over repeated runs, start-up excluded. The reference's figures are the published Go + Rust/WasmEdge pipeline on an ${esc(REFERENCE_LADDER.machine)} (grayscale only); the fastest tessera cell is in red.</p>
<section class="panel">${ladders.join('\n')}<p class="note">${isolationSentence(bench)}</p></section>
${bench.processCells?.length ? `<section class="panel" id="process">${processTable(bench)}<p class="note">${processNote(bench)}</p></section>` : ''}
${chart('ladder')}
${chart('scaling')}
${
  bench.big?.sizes.length
    ? `<h2 id="big">One large image</h2>
<p class="intro">One generated image of photo-like detail, blurred as a whole process by <code>tessera run</code> and by a plain sharp script, at several sizes: the largest is the headline, the others show how each process's memory grows with the image.</p>
<section class="panel">${bigTable(bench)}<p class="note">${bigNote(bench)}</p></section>
${chart('big-memory')}`
    : ''
}

<h2 id="time">Where the time goes</h2>
<p class="intro">Stage timings come from the pipeline itself: decode, split into tiles, filter, assemble, encode.</p>
${chart('stages')}

${
  chart('peers')
    ? `<h2 id="peers">tessera beside the peers</h2>
<p class="intro">The same filter, the same images, the same PNG settings, each output verified against the peer's own${bench.results.some((r) => r.strategy === 'extism') ? " (extism, tessera's own filters as an Extism plugin: against tessera's reference, bit for bit)" : ''}.</p>
${chart('peers')}`
    : ''
}
${
  startup
    ? `<h2 id="startup">Start-up, isolation and density</h2>
<p class="intro">From <code>tessera bench startup</code>: what a sandbox costs to start (compile, cache, instantiate, first call), per unit of work at each isolation level (pooled and fresh instances, a fresh process${startup.containers ? ', a bwrap sandbox and a runc container' : ''}), to hold in memory, and to ship${startup.extism ? '; and tessera\'s filters run as an Extism plugin, per tile and per plugin created' : ''}.</p>
${chart('isolation')}
${chart('startup')}
${chart('tiers')}
${chart('density')}
${chart('artifacts')}
${chart('extism')}
${chart('extism-steps')}`
    : ''
}

<h2 id="tables">All tables</h2>
<details class="tables"><summary>bench.md — the ladder, ${bench.processCells?.length ? 'the whole-process cells, ' : ''}${bench.big?.sizes.length ? 'the large image, ' : ''}the peers, the stages and the kernels, per filter</summary>${markdownToHtml(renderMarkdown(bench))}</details>
${startup ? `<details class="tables"><summary>startup.md — start-up, isolation and density</summary>${markdownToHtml(renderStartupMarkdown(startup))}</details>` : ''}
<footer>Written by tessera ${esc(bench.version)} from bench.json${startup ? ' and startup.json' : ''}. Charts are Vega-Lite, rendered to SVG when the report was written; this page loads nothing from the network. Rebuild it with <code>tessera report bench.json${startup ? ' startup.json' : ''} -o report.html</code>.</footer>
</main>
</body>
</html>
`;
}

/** Writes the report page to `file`; returns its absolute path. */
export async function writeHtmlReport(bench: BenchReport, file: string, startup?: StartupReport): Promise<string> {
  const path = resolve(file);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, await renderHtmlReport(bench, startup));
  return path;
}
