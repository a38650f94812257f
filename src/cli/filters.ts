import { Command } from 'commander';
import { describeFilter, listFilters, type FilterInfo } from '../filters/catalog.js';

function formatParam(p: FilterInfo['params'][number]): string {
  return `${p.name}: ${p.type} ${p.min}..${p.max}, default ${p.default}${p.description ? ` — ${p.description}` : ''}`;
}

/** Human-readable listing of filters. */
export function formatFilters(filters: FilterInfo[]): string {
  const lines: string[] = [];
  for (const f of filters) {
    lines.push(`${f.name}  (halo ${f.halo})  ${f.description}`);
    for (const p of f.params) lines.push(`    --param ${formatParam(p)}`);
  }
  return lines.join('\n');
}

/** `tessera filters`. */
export function filtersCommand(): Command {
  return new Command('filters')
    .description('list the built-in filters with their params and halo (or describe a .wasm filter)')
    .argument('[file.wasm]', 'describe this filter module instead of the built-ins')
    .option('--json', 'machine-readable: [{ name, halo, params: [{ name, default, min, max }] }]')
    .action((file: string | undefined, flags: { json?: boolean }) => {
      const filters = file ? [describeFilter(file)] : listFilters();
      if (flags.json) {
        const json = filters.map((f) => ({
          name: f.name,
          description: f.description,
          halo: f.halo,
          strategies: f.strategies,
          params: f.params.map((p) => ({ name: p.name, type: p.type, default: p.default, min: p.min, max: p.max, description: p.description })),
        }));
        process.stdout.write(JSON.stringify(json, null, 2) + '\n');
      } else {
        process.stdout.write(formatFilters(filters) + '\n');
      }
    });
}
