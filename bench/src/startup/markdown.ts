import { formatMachine } from '../machine.js';
import type { StartupReport } from './types.js';

const ms = (v: number) => (v >= 100 ? `${v.toFixed(0)} ms` : v >= 1 ? `${v.toFixed(1)} ms` : `${(v * 1000).toFixed(0)} µs`);
const kb = (b: number) => (b >= 2 ** 20 ? `${(b / 2 ** 20).toFixed(1)} MiB` : `${(b / 1024).toFixed(1)} KiB`);
const row = (cells: string[]) => `| ${cells.join(' | ')} |`;
const table = (head: string[], rows: string[][]) => [row(head), row(head.map(() => '---')), ...rows.map(row)].join('\n');

/** The start-up section of bench.md / startup.md. */
export function renderStartupMarkdown(r: StartupReport): string {
  const parts = [`## Start-up, isolation and density`, '', `Machine: ${formatMachine(r.machine)}.`, ''];
  parts.push(
    table(
      ['module', 'size (gzip)', 'compile cold', 'Liftoff compile → tile', 'TurboFan compile → tile', 'from cache', 'to a worker', 'instantiate', 'first call'],
      r.modules.map((m) => [m.filter, `${kb(m.bytes)} (${kb(m.gzipBytes)})`, ms(m.compileColdMs), `${ms(m.liftoff.compileMs)} → ${ms(m.liftoff.tileMs)}`, `${ms(m.turbofan.compileMs)} → ${ms(m.turbofan.tileMs)}`, ms(m.cachedMs), m.handoffMs === undefined ? '—' : ms(m.handoffMs), ms(m.instantiateMs), ms(m.firstCallMs)]),
    ),
  );
  if (r.largeModule) {
    const l = r.largeModule;
    const x = (a: number, b: number) => `${(a / b).toFixed(0)}×`;
    parts.push('', `Large module, ${l.name} (${kb(l.bytes)}): compile cold ${ms(l.compileColdMs)} (V8's default: lazy, each function compiled on its first call), every function with Liftoff ${ms(l.liftoffCompileMs)}, with TurboFan ${ms(l.turbofanCompileMs)}. From tessera's cache ${ms(l.cachedMs)} (hashing the bytes: ${x(l.compileColdMs, l.cachedMs)} / ${x(l.liftoffCompileMs, l.cachedMs)} / ${x(l.turbofanCompileMs, l.cachedMs)} faster)${l.handoffMs === undefined ? '' : `; a worker handed the compiled Module starts in ${ms(l.handoffMs)} (${x(l.compileColdMs, l.handoffMs)} / ${x(l.liftoffCompileMs, l.handoffMs)} / ${x(l.turbofanCompileMs, l.handoffMs)} faster)`}.`);
  }
  const pooled = r.isolation.find((i) => i.level === 'pooled')!;
  parts.push('', `One 256×256 ${r.isolationFilter} tile at each isolation level:`, '');
  parts.push(table(['level', 'samples', 'median', 'p99', 'vs pooled'], r.isolation.map((i) => [i.level === 'process' ? 'fresh OS process' : i.level === 'instance' ? 'fresh instance' : 'pooled instance', String(i.samples), ms(i.medianMs), ms(i.p99Ms), `${(i.medianMs / pooled.medianMs).toFixed(1)}×`])));
  const m = r.memory;
  const split = m.linearBytes === undefined ? '' : ` (${kb(m.linearBytes)} linear memory + ${kb(m.engineBytes ?? 0)} engine)`;
  parts.push('', `Memory: ${kb(m.bytesPerInstance)} resident per live instance${split}, ${m.instances} alive, one 64 KiB page touched each → ${m.instancesPerGiB.toLocaleString('en')} instances per GiB; a fresh Node process is ${m.freshNodeRssMb.toFixed(0)} MiB.`);
  // The plain form of each filter stands for all three (the shared and WASI forms differ by < 1 KiB).
  const shown = r.artifacts.filter((a) => !/\.(shared|wasi)\.wasm$/.test(a.name));
  parts.push('', 'Artifacts a user ships (all forms in startup.json):', '', table(['artifact', 'size', 'gzip'], shown.map((a) => [a.name, kb(a.bytes), a.gzipBytes ? kb(a.gzipBytes) : '—'])));
  parts.push('', ...r.notes.map((n) => `- ${n}`));
  return parts.join('\n') + '\n';
}
