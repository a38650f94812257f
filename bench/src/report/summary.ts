/**
 * The report's headline: what a sandbox per unit of work costs, start-up from the cache,
 * and density — computed from bench.json and startup.json, each against its target.
 */
import type { StartupReport } from '../startup/types.js';
import type { BenchReport, BenchResult } from '../types.js';

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

/** Formats milliseconds as µs, ms or s with three significant digits. */
export function fmtMs(ms: number): string {
  if (!Number.isFinite(ms)) return '—';
  if (ms >= 1000) return `${(ms / 1000).toPrecision(3)} s`;
  if (ms >= 1) return `${ms.toPrecision(3)} ms`;
  return `${(ms * 1000).toPrecision(3)} µs`;
}

/** Formats a ratio: 1.07×, 23×, 2,170×. */
export function fmtX(r: number): string {
  if (!Number.isFinite(r)) return '—';
  return r >= 100 ? `${Math.round(r).toLocaleString('en')}×` : r >= 10 ? `${r.toFixed(0)}×` : `${r.toFixed(2)}×`;
}

/** Formats bytes as KiB / MiB. */
export function fmtBytes(b: number): string {
  return b >= 2 ** 20 ? `${(b / 2 ** 20).toFixed(1)} MiB` : `${(b / 1024).toFixed(1)} KiB`;
}

const pct = (r: number) => `${r >= 1 ? '+' : '−'}${Math.abs((r - 1) * 100).toFixed(0)}%`;

function cell(bench: BenchReport, filter: string, strategy: string, workers: number): BenchResult | undefined {
  return bench.results.find((r) => r.filter === filter && r.strategy === strategy && r.workers === workers);
}

/** A fresh instance per tile against a pooled one, and a fresh process per tile, on whole runs of `filter`. */
export function isolationRatios(bench: BenchReport, filter = 'grayscale'): Array<{ workers: number; instance: number; process?: number }> {
  const counts = [...new Set(bench.results.filter((r) => r.filter === filter && r.strategy === 'copy').map((r) => r.workers))].sort((a, b) => a - b);
  return counts.flatMap((w) => {
    const pooled = cell(bench, filter, 'copy', w)!;
    const fresh = cell(bench, filter, 'copy-instance', w);
    const disk = cell(bench, filter, 'disk', w);
    if (!fresh) return [];
    return [{ workers: w, instance: fresh.medianMs / pooled.medianMs, ...(disk ? { process: disk.medianMs / pooled.medianMs } : {}) }];
  });
}

function instanceTarget(bench: BenchReport, startup?: StartupReport): TargetCheck {
  const target = 'A fresh instance per tile costs at most 10% more than a pooled instance (grayscale, whole run)';
  const ratios = isolationRatios(bench);
  if (!ratios.length) return { target, measured: '—', detail: 'bench.json has no grayscale `copy` and `copy-instance` cells', status: 'not measured' };
  const measured = ratios.map((r) => `${pct(r.instance)} (${r.workers} worker${r.workers > 1 ? 's' : ''})`).join(', ');
  const within = ratios.filter((r) => r.instance <= 1.1).length;
  const parts = [`Median wall time of \`copy-instance\` over \`copy\` on the ${bench.dataset.images}-image set: ${ratios.map((r) => `${fmtX(r.instance)} at ${r.workers}`).join(', ')}.`];
  const proc = ratios.filter((r) => r.process !== undefined);
  if (proc.length) parts.push(`A fresh OS process per tile (\`disk\`) takes ${proc.map((r) => `${fmtX(r.process!)} at ${r.workers}`).join(', ')} the pooled run.`);
  if (startup) {
    const lv = Object.fromEntries(startup.isolation.map((i) => [i.level, i]));
    if (lv.pooled && lv.instance) {
      parts.push(`Per tile (${startup.isolationFilter}, 256×256): pooled ${fmtMs(lv.pooled.medianMs)}, fresh instance ${fmtMs(lv.instance.medianMs)} (${fmtX(lv.instance.medianMs / lv.pooled.medianMs)})${lv.process ? `, fresh process ${fmtMs(lv.process.medianMs)} (${fmtX(lv.process.medianMs / lv.pooled.medianMs)})` : ''}.`);
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
  const measured = Number.isFinite(handoff) ? `${fmtX(handoff)} (worker) · ${fmtX(lookup)} (lookup by bytes)` : `${fmtX(lookup)} (lookup by bytes)`;
  const detail =
    `${l.name}, ${fmtBytes(l.bytes)}. Cold compile ${fmtMs(l.compileColdMs)} with V8's default lazy compilation (functions compiled on first call), ` +
    `${fmtMs(l.liftoffCompileMs)} compiling every function with Liftoff, ${fmtMs(l.turbofanCompileMs)} with TurboFan. ` +
    `From tessera's cache: ${fmtMs(l.cachedMs)} to hash the bytes (BLAKE2b) and look the Module up — ${fmtX(lookup)} / ${fmtX(l.liftoffCompileMs / l.cachedMs)} / ${fmtX(l.turbofanCompileMs / l.cachedMs)} faster; ` +
    (Number.isFinite(handoff) ? `a worker thread handed the compiled Module starts in ${fmtMs(l.handoffMs!)} — ${fmtX(handoff)} / ${fmtX(l.liftoffCompileMs / l.handoffMs!)} / ${fmtX(l.turbofanCompileMs / l.handoffMs!)}. ` : '') +
    'Node 20 cannot cache compiled modules on disk, so every new process pays the cold compile.';
  const ok = (r: number) => Number.isFinite(r) && r >= 100;
  return { target, measured, detail, status: ok(lookup) ? 'met' : ok(handoff) ? 'partly' : 'not met' };
}

function densityTarget(startup?: StartupReport): TargetCheck {
  const target = 'At least 1,000 filter instances per GiB (built-in filters)';
  if (!startup) return { target, measured: '—', detail: 'run `tessera bench startup`', status: 'not measured' };
  const m = startup.memory;
  const tileSet = 2 * 256 * 256 * 4;
  const split = m.linearBytes !== undefined ? ` (${fmtBytes(m.linearBytes)} linear memory + ${fmtBytes(m.engineBytes ?? 0)} engine)` : '';
  const detail =
    `${fmtBytes(m.bytesPerInstance)} resident per live ${startup.isolationFilter} instance${split}, measured with ${m.instances.toLocaleString('en')} alive, one 64 KiB page touched each. ` +
    `With a 256×256 tile's working set (${fmtBytes(tileSet)} in and out) it is ${Math.floor(2 ** 30 / (m.bytesPerInstance + tileSet)).toLocaleString('en')} per GiB; ` +
    `a fresh Node process is ${m.freshNodeRssMb.toFixed(0)} MiB, ${Math.floor(1024 / m.freshNodeRssMb)} per GiB.`;
  return { target, measured: `${m.instancesPerGiB.toLocaleString('en')} per GiB`, detail, status: m.instancesPerGiB >= 1000 ? 'met' : 'not met' };
}

/** The three targets of the start-up and density work, judged on this run's figures. */
export function targetChecks(bench: BenchReport, startup?: StartupReport): TargetCheck[] {
  return [instanceTarget(bench, startup), cacheTarget(startup), densityTarget(startup)];
}
