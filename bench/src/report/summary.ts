/**
 * The report's headline: what a sandbox per unit of work costs, start-up from the cache,
 * and density — computed from bench.json and startup.json, each against its target.
 */
import { countOf, formatBytes, formatMs, formatRatio } from '../format.js';
import { findResult } from '../ladder.js';
import type { StartupReport } from '../startup/types.js';
import type { BenchReport } from '../types.js';

export type Status = 'met' | 'partly' | 'not met' | 'not measured';

/** One target and how this run did against it. */
export interface TargetCheck {
  target: string;
  /** The figure the status is judged on, short. */
  measured: string;
  /** How it was measured and the figures around it. */
  detail: string;
  status: Status;
}

const pct = (r: number) => `${r >= 1 ? '+' : '−'}${Math.abs((r - 1) * 100).toFixed(0)}%`;

/** A fresh instance per tile against a pooled one, and a fresh process per tile, on whole runs of `filter`. */
export function isolationRatios(bench: BenchReport, filter = 'grayscale'): Array<{ workers: number; instance: number; process?: number }> {
  const counts = [...new Set(bench.results.filter((r) => r.filter === filter && r.strategy === 'copy').map((r) => r.workers))].sort((a, b) => a - b);
  return counts.flatMap((w) => {
    const pooled = findResult(bench, filter, 'copy', w)!;
    const fresh = findResult(bench, filter, 'copy-instance', w);
    const disk = findResult(bench, filter, 'disk', w);
    if (!fresh) return [];
    return [{ workers: w, instance: fresh.medianMs / pooled.medianMs, ...(disk ? { process: disk.medianMs / pooled.medianMs } : {}) }];
  });
}

function instanceTarget(bench: BenchReport, startup?: StartupReport): TargetCheck {
  const target = 'A fresh instance per tile costs at most 10% more than a pooled instance (grayscale, whole run)';
  const ratios = isolationRatios(bench);
  if (!ratios.length) return { target, measured: '—', detail: 'bench.json has no grayscale `copy` and `copy-instance` cells', status: 'not measured' };
  const measured = ratios.map((r) => `${pct(r.instance)} (${countOf(r.workers, 'worker')})`).join(', ');
  const within = ratios.filter((r) => r.instance <= 1.1).length;
  const parts = [`Median wall time of \`copy-instance\` over \`copy\` on the ${bench.dataset.images}-image set: ${ratios.map((r) => `${formatRatio(r.instance)} at ${r.workers}`).join(', ')}.`];
  const proc = ratios.filter((r) => r.process !== undefined);
  if (proc.length) parts.push(`A fresh OS process per tile (\`disk\`) takes ${proc.map((r) => `${formatRatio(r.process!)} at ${r.workers}`).join(', ')} the pooled run.`);
  if (startup) {
    const lv = Object.fromEntries(startup.isolation.map((i) => [i.level, i]));
    if (lv.pooled && lv.instance) {
      parts.push(`Per tile (${startup.isolationFilter}, 256×256): pooled ${formatMs(lv.pooled.medianMs)}, fresh instance ${formatMs(lv.instance.medianMs)} (${formatRatio(lv.instance.medianMs / lv.pooled.medianMs)})${lv.process ? `, fresh process ${formatMs(lv.process.medianMs)} (${formatRatio(lv.process.medianMs / lv.pooled.medianMs)})` : ''}.`);
    }
  }
  return { target, measured, detail: parts.join(' '), status: within === ratios.length ? 'met' : within > 0 ? 'partly' : 'not met' };
}

function cacheTarget(startup?: StartupReport): TargetCheck {
  const target = 'A cached start is at least 100× faster than a cold compile (large module)';
  const l = startup?.largeModule;
  if (!l) return { target, measured: '—', detail: 'no large module measured (wasm-vips missing, or --filters run)', status: 'not measured' };
  const lookup = l.compileColdMs / l.cachedMs;
  const handoff = l.handoffMs ? l.compileColdMs / l.handoffMs : NaN;
  const measured = Number.isFinite(handoff) ? `${formatRatio(handoff)} (worker) · ${formatRatio(lookup)} (lookup by bytes)` : `${formatRatio(lookup)} (lookup by bytes)`;
  const detail =
    `${l.name}, ${formatBytes(l.bytes)}. Cold compile ${formatMs(l.compileColdMs)} with V8's default lazy compilation (functions compiled on first call), ` +
    `${formatMs(l.liftoffCompileMs)} compiling every function with Liftoff, ${formatMs(l.turbofanCompileMs)} with TurboFan. ` +
    `From tessera's cache: ${formatMs(l.cachedMs)} to hash the bytes (BLAKE2b) and look the Module up — ${formatRatio(lookup)} / ${formatRatio(l.liftoffCompileMs / l.cachedMs)} / ${formatRatio(l.turbofanCompileMs / l.cachedMs)} faster; ` +
    (Number.isFinite(handoff) ? `a worker thread handed the compiled Module starts in ${formatMs(l.handoffMs!)} — ${formatRatio(handoff)} / ${formatRatio(l.liftoffCompileMs / l.handoffMs!)} / ${formatRatio(l.turbofanCompileMs / l.handoffMs!)}. ` : '') +
    'Node 20 cannot cache compiled modules on disk, so every new process pays the cold compile.';
  const ok = (r: number) => Number.isFinite(r) && r >= 100;
  return { target, measured, detail, status: ok(lookup) ? 'met' : ok(handoff) ? 'partly' : 'not met' };
}

function densityTarget(startup?: StartupReport): TargetCheck {
  const target = 'At least 1,000 filter instances per GiB (built-in filters)';
  if (!startup) return { target, measured: '—', detail: 'run `tessera bench startup`', status: 'not measured' };
  const m = startup.memory;
  const tileSet = 2 * 256 * 256 * 4;
  const split = m.linearBytes !== undefined ? ` (${formatBytes(m.linearBytes)} linear memory + ${formatBytes(m.engineBytes ?? 0)} engine)` : '';
  const detail =
    `${formatBytes(m.bytesPerInstance)} resident per live ${startup.isolationFilter} instance${split}, measured with ${m.instances.toLocaleString('en')} alive, one 64 KiB page touched each. ` +
    `With a 256×256 tile's working set (${formatBytes(tileSet)} in and out) it is ${Math.floor(2 ** 30 / (m.bytesPerInstance + tileSet)).toLocaleString('en')} per GiB; ` +
    `a fresh Node process is ${m.freshNodeRssMb.toFixed(0)} MiB, ${Math.floor(1024 / m.freshNodeRssMb)} per GiB.`;
  return { target, measured: `${m.instancesPerGiB.toLocaleString('en')} per GiB`, detail, status: m.instancesPerGiB >= 1000 ? 'met' : 'not met' };
}

/** The three targets of the start-up and density work, judged on this run's figures. */
export function targetChecks(bench: BenchReport, startup?: StartupReport): TargetCheck[] {
  return [instanceTarget(bench, startup), cacheTarget(startup), densityTarget(startup)];
}
