import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { renderMarkdown } from './markdown.js';
import type { BenchReport } from './types.js';

/** Writes `bench.json` and `bench.md` into `outDir`; returns their paths. */
export function writeBenchReport(report: BenchReport, outDir: string): { json: string; markdown: string } {
  const dir = resolve(outDir);
  mkdirSync(dir, { recursive: true });
  const json = join(dir, 'bench.json');
  const markdown = join(dir, 'bench.md');
  writeFileSync(json, JSON.stringify(report, null, 2) + '\n');
  writeFileSync(markdown, renderMarkdown(report));
  return { json, markdown };
}
