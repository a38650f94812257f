import { formatBytes, formatMs, formatRatio, markdownTable } from '../format.js';
import { formatMachine } from '../machine.js';
import type { StartupReport } from './types.js';
import { renderExtismMarkdown } from './extism-markdown.js';
import { renderContainersMarkdown } from './containers/markdown.js';

/** How the isolation table names each level. */
const LEVEL_NAME: Record<StartupReport['isolation'][number]['level'], string> = {
  pooled: 'pooled instance',
  instance: 'fresh instance',
  process: 'fresh OS process',
  bwrap: 'fresh bwrap sandbox',
  runc: 'fresh runc container',
};

const ms = (v: number) => formatMs(v, 'fine');

/** The start-up section of bench.md / startup.md. */
export function renderStartupMarkdown(r: StartupReport): string {
  const parts = [`## Start-up, isolation and density`, '', `Machine: ${formatMachine(r.machine)}.`, ''];
  parts.push(
    markdownTable(
      ['module', 'size (gzip)', 'compile cold', 'Liftoff compile → tile', 'TurboFan compile → tile', 'from cache', 'to a worker', 'instantiate', 'first call'],
      r.modules.map((m) => [m.filter, `${formatBytes(m.bytes)} (${formatBytes(m.gzipBytes)})`, ms(m.compileColdMs), `${ms(m.liftoff.compileMs)} → ${ms(m.liftoff.tileMs)}`, `${ms(m.turbofan.compileMs)} → ${ms(m.turbofan.tileMs)}`, ms(m.cachedMs), m.handoffMs === undefined ? '—' : ms(m.handoffMs), ms(m.instantiateMs), ms(m.firstCallMs)]),
    ),
  );
  if (r.largeModule) {
    const l = r.largeModule;
    const x = (a: number, b: number) => formatRatio(a / b, 'whole');
    parts.push('', `Large module, ${l.name} (${formatBytes(l.bytes)}): compile cold ${ms(l.compileColdMs)} (V8's default: lazy, each function compiled on its first call), every function with Liftoff ${ms(l.liftoffCompileMs)}, with TurboFan ${ms(l.turbofanCompileMs)}. From tessera's cache ${ms(l.cachedMs)} (hashing the bytes: ${x(l.compileColdMs, l.cachedMs)} / ${x(l.liftoffCompileMs, l.cachedMs)} / ${x(l.turbofanCompileMs, l.cachedMs)} faster)${l.handoffMs === undefined ? '' : `; a worker handed the compiled Module starts in ${ms(l.handoffMs)} (${x(l.compileColdMs, l.handoffMs)} / ${x(l.liftoffCompileMs, l.handoffMs)} / ${x(l.turbofanCompileMs, l.handoffMs)} faster)`}.`);
  }
  const pooled = r.isolation.find((i) => i.level === 'pooled')!;
  parts.push('', `One 256×256 ${r.isolationFilter} tile at each isolation level:`, '');
  const verified = (v: boolean | undefined) => (v === undefined ? '—' : v ? 'yes' : '**NO**');
  parts.push(
    markdownTable(
      ['level', 'samples', 'median', 'p99', 'vs pooled', 'first start (cold)', 'output = pooled'],
      r.isolation.map((i) => [LEVEL_NAME[i.level], String(i.samples), ms(i.medianMs), ms(i.p99Ms), formatRatio(i.medianMs / pooled.medianMs, 'tenths'), i.coldMs === undefined ? '—' : ms(i.coldMs), verified(i.verified)]),
    ),
  );
  const m = r.memory;
  const split = m.linearBytes === undefined ? '' : ` (${formatBytes(m.linearBytes)} linear memory + ${formatBytes(m.engineBytes ?? 0)} engine)`;
  parts.push('', `Memory: ${formatBytes(m.bytesPerInstance)} resident per live instance${split}, ${m.instances} alive, one 64 KiB page touched each → ${m.instancesPerGiB.toLocaleString('en')} instances per GiB; a fresh Node process is ${m.freshNodeRssMb.toFixed(0)} MiB.`);
  // The plain form of each filter stands for all three (the shared and WASI forms differ by < 1 KiB).
  const shown = r.artifacts.filter((a) => !/\.(shared|wasi)\.wasm$/.test(a.name));
  parts.push('', 'Artifacts a user ships (all forms in startup.json):', '', markdownTable(['artifact', 'size', 'gzip'], shown.map((a) => [a.name, formatBytes(a.bytes), a.gzipBytes ? formatBytes(a.gzipBytes) : '—'])));
  if (r.extism) parts.push('', renderExtismMarkdown(r.extism));
  if (r.containers) parts.push('', renderContainersMarkdown(r));
  parts.push('', ...r.notes.map((n) => `- ${n}`));
  return parts.join('\n') + '\n';
}
