import { Command } from 'commander';
import { describeFilter, listFilters, type FilterInfo } from '../filter/catalog.js';
import type { FilterCheckReport } from '../filter/check.js';
import { parseParamPairs } from '../filter/params.js';
import { collect, positiveInt } from './parse.js';
import { DEFAULT_FILTER_MEMORY_MB } from '../pipeline/defaults.js';

function formatParam(p: FilterInfo['params'][number]): string {
  return `${p.name}: ${p.type} ${p.min}..${p.max}, default ${p.default}${p.description ? ` — ${p.description}` : ''}`;
}

/** Human-readable listing of filters. */
export function formatFilters(filters: FilterInfo[]): string {
  const lines: string[] = [];
  for (const f of filters) {
    lines.push(`${f.name}  (halo ${f.halo}${f.alpha === 'premultiplied' ? ', premultiplied alpha' : ''})  ${f.description}`);
    for (const p of f.params) lines.push(`    --param ${formatParam(p)}`);
  }
  return lines.join('\n');
}

function formatCheck(r: FilterCheckReport): string {
  const lines = [`${r.file}`];
  if (r.name) {
    lines.push(`  name      ${r.name}`, `  exports   ${r.exports!.join(', ')}`, `  imports   ${r.imports!.join(', ') || 'none'}`);
    const m = r.memory!;
    lines.push(`  memory    ${m.mode}, ${m.initialPages} pages initial, ${m.maximumPages ?? 'no'} maximum${m.shared ? ', shared' : ''}`);
    if (r.halo !== undefined) lines.push(`  halo      ${r.halo}`);
    lines.push(`  params    ${r.params!.map((p) => `${p.name} (${p.type} ${p.min}..${p.max}, default ${p.default})`).join(', ') || 'none'}`);
    lines.push(`  runs with ${r.strategies!.join(', ')}`);
  }
  if (r.limits) lines.push(`  limits    ${r.limits.tileTimeoutMs} ms per tile, ${r.limits.filterMemoryMb} MiB of filter memory (${r.limits.maxMemoryPages} pages)`);
  for (const step of r.steps) lines.push(`  ${step.ok ? 'ok  ' : 'FAIL'} ${step.name}: ${step.detail.replace(/\n/g, '\n         ')}`);
  lines.push(r.ok ? 'filter passes' : 'filter fails');
  return lines.join('\n');
}

/** `tessera filters`. */
export function filtersCommand(): Command {
  const filters = new Command('filters').description('list, describe and check filters');
  filters
    .command('list [file.wasm]', { isDefault: true })
    .description('list the built-in filters with their params and halo (or describe a .wasm filter)')
    .option('--json', 'machine-readable: [{ name, halo, alpha, strategies, params: [{ name, default, min, max }] }]')
    .action((file: string | undefined, flags: { json?: boolean }) => {
      const list = file ? [describeFilter(file)] : listFilters();
      if (flags.json) {
        const json = list.map((f) => ({
          name: f.name,
          description: f.description,
          halo: f.halo,
          alpha: f.alpha,
          strategies: f.strategies,
          params: f.params.map((p) => ({ name: p.name, type: p.type, default: p.default, min: p.min, max: p.max, description: p.description })),
        }));
        process.stdout.write(JSON.stringify(json, null, 2) + '\n');
      } else {
        process.stdout.write(formatFilters(list) + '\n');
      }
    });
  filters
    .command('check <file.wasm>')
    .description('check a filter: imports, start function, memory limits and twins of each form, ABI v1, then runs tiled and whole on a test card under a tile deadline and the memory cap; exit 1 when it fails')
    .option('-p, --param <key=value>', 'filter parameter, repeatable', collect, [])
    .option('--filter-memory <mb>', 'cap on the filter\'s memory, MiB, as for tessera run', positiveInt('--filter-memory'), DEFAULT_FILTER_MEMORY_MB)
    .option('--tile-timeout <ms>', 'deadline of each tile on the test card', positiveInt('--tile-timeout'), 5000)
    .option('--json', 'machine-readable report')
    .action(async (file: string, flags: { param: string[]; json?: boolean; filterMemory: number; tileTimeout: number }) => {
      // The check runs a session (sharp, threads): loaded only for `filters check`.
      const { checkFilter } = await import('../filter/check.js');
      const report = await checkFilter(file, parseParamPairs(flags.param), { filterMemoryMb: flags.filterMemory, tileTimeoutMs: flags.tileTimeout });
      process.stdout.write((flags.json ? JSON.stringify(report, null, 2) : formatCheck(report)) + '\n');
      if (!report.ok) process.exitCode = 1;
    });
  return filters;
}
