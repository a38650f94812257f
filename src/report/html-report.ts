/**
 * The self-contained HTML report: the same tables as bench.md (and startup.md) plus
 * charts rendered to SVG at report time. No script, font or style is fetched: the
 * file opens offline.
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { renderMarkdown } from '../bench/markdown.js';
import { formatMachine } from '../bench/machine.js';
import { renderStartupMarkdown } from '../bench/startup/markdown.js';
import type { StartupReport } from '../bench/startup/types.js';
import type { BenchReport } from '../bench/types.js';
import { buildCharts } from './charts.js';
import { markdownToHtml } from './markdown-html.js';

const STYLE = `
  :root { color-scheme: light; }
  body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1d1d24; margin: 0; background: #f6f6f9; }
  main { max-width: 1180px; margin: 0 auto; padding: 32px 28px 64px; }
  header h1 { font-size: 28px; margin: 0 0 4px; }
  header p { margin: 2px 0; color: #555; }
  section.chart { background: #fff; border-radius: 10px; padding: 18px 20px; margin: 22px 0; box-shadow: 0 1px 3px rgba(0,0,0,.08); }
  section.chart h2 { font-size: 18px; margin: 0 0 4px; }
  section.chart p { margin: 0 0 10px; color: #555; max-width: 900px; }
  .svg { overflow-x: auto; }
  details { background: #fff; border-radius: 10px; padding: 12px 20px; margin: 22px 0; box-shadow: 0 1px 3px rgba(0,0,0,.08); }
  summary { cursor: pointer; font-weight: 600; }
  table { border-collapse: collapse; margin: 10px 0 18px; font-size: 13px; font-variant-numeric: tabular-nums; }
  th, td { padding: 4px 10px; border-bottom: 1px solid #e3e3ea; text-align: left; }
  th { background: #f0f0f5; font-weight: 600; }
  code { background: #f0f0f5; padding: 0 4px; border-radius: 4px; font-size: 12.5px; }
  h2, h3 { margin-top: 26px; }
`;

/** Builds the report page. */
export async function renderHtmlReport(bench: BenchReport, startup?: StartupReport): Promise<string> {
  const charts = await buildCharts(bench, startup);
  const d = bench.dataset;
  const chartHtml = charts
    .map((c) => `<section class="chart" id="chart-${c.id}" data-chart="${c.id}"><h2>${c.title}</h2><p>${c.caption}</p><div class="svg">${c.svg}</div></section>`)
    .join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>tessera bench — ${bench.date.slice(0, 10)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<header>
  <h1>tessera bench</h1>
  <p>${bench.date.slice(0, 16).replace('T', ' ')} UTC · ${formatMachine(bench.machine)}</p>
  <p>${d.images} images, ${d.megapixels.toFixed(2)} Mpx (${d.synthetic ? 'synthetic Kodak-shaped set' : d.path}) · tiles ${bench.settings.tileSize}×${bench.settings.tileSize} · median of ${bench.settings.repeat} runs · every output verified bit-identical</p>
</header>
${chartHtml}
<details open><summary>All benchmark tables</summary>${markdownToHtml(renderMarkdown(bench))}</details>
${startup ? `<details open><summary>Start-up, isolation and density</summary>${markdownToHtml(renderStartupMarkdown(startup))}</details>` : ''}
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
