/**
 * Writes cluster.json, cluster.md and cluster.html. The page is self-contained like
 * report.html: its chart is Vega-Lite rendered to SVG when the page is written (no script,
 * no CDN), its tables are cluster.md's.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { clusterScalingChart } from '../report/cluster-chart.js';
import { pageHead } from '../report/html-report.js';
import { markdownToHtml } from '../report/markdown-html.js';
import { FONT } from '../report/render.js';
import { renderClusterMarkdown } from './markdown.js';
import type { ClusterReport } from './types.js';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const STYLE = `
  body { margin: 0; background: #f5f6f9; color: #1f2430; font: 15px/1.55 ${FONT}; font-feature-settings: "tnum" 1; }
  main { max-width: 1100px; margin: 0 auto; padding: 24px 28px 60px; }
  section.panel { background: #fff; border: 1px solid #e3e6ee; border-radius: 12px; padding: 20px 22px 16px; margin: 18px 0; }
  section.panel h3 { font-size: 16.5px; margin: 0 0 4px; }
  p.caption { margin: 0 0 12px; color: #5b6272; font-size: 14px; }
  .svg svg { max-width: 100%; height: auto; display: block; }
  table { border-collapse: collapse; font-size: 13.5px; margin: 8px 0 16px; }
  th, td { padding: 6px 10px; border-bottom: 1px solid #e3e6ee; text-align: left; vertical-align: top; }
  thead th { font-size: 12px; color: #5b6272; border-bottom: 2px solid #e3e6ee; }
  code { font: 12.5px/1.4 ui-monospace, Menlo, Consolas, monospace; background: #eef0f5; padding: 1px 5px; border-radius: 4px; }
  .warn { background: #fff3cd; border: 1px solid #f0d98c; border-radius: 8px; padding: 8px 12px; font-size: 13.5px; }
`;

/** The HTML page. */
export async function renderClusterHtml(r: ClusterReport): Promise<string> {
  const chart = await clusterScalingChart(r);
  const unverified = [
    ...r.rows.filter((x) => !x.verified).map((x) => `${x.filter} / ${x.setup}: outputs NOT verified`),
    ...r.faults.filter((f) => !f.verified).map((f) => `fault ${f.fault}: outputs NOT verified`),
  ];
  return `${pageHead(`tessera bench cluster — ${r.date.slice(0, 10)}`, r.version, STYLE)}
<body>
<main>
${unverified.length ? `<p class="warn">${unverified.map(esc).join('<br>')}</p>` : ''}
${chart ? `<section class="panel chart" id="chart-${chart.id}" data-chart="${chart.id}"><h3>${esc(chart.title)}</h3><p class="caption">${esc(chart.caption)}</p><div class="svg" role="img" aria-label="${esc(chart.title)}">${chart.svg}</div></section>` : ''}
<section class="panel">${markdownToHtml(renderClusterMarkdown(r))}</section>
</main>
</body>
</html>
`;
}

/** Writes the three files into `outDir`; returns their paths. */
export async function writeClusterReport(r: ClusterReport, outDir: string): Promise<{ json: string; markdown: string; html: string }> {
  const dir = resolve(outDir);
  mkdirSync(dir, { recursive: true });
  const json = join(dir, 'cluster.json');
  const markdown = join(dir, 'cluster.md');
  const html = join(dir, 'cluster.html');
  writeFileSync(json, JSON.stringify(r, null, 2) + '\n');
  writeFileSync(markdown, renderClusterMarkdown(r));
  writeFileSync(html, await renderClusterHtml(r));
  return { json, markdown, html };
}
