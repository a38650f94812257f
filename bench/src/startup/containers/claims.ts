/**
 * The published claims about WebAssembly against containers, judged on one start-up report:
 * start-up (1–10 ms vs 1–5 s), memory (1–10 MB vs 50–200 MB), artifact size (0.5–10 MB vs
 * 50–500 MB) and density (10–20× more per machine). Pure: figures in, verdicts out. A claim
 * "holds" when WebAssembly wins by at least the smallest factor its ranges imply (start-up 100×,
 * memory and size 5×, density 10×); each verdict also says where both sides fall against the
 * published ranges. The claims' MB are 10⁶ bytes.
 */
import { formatBytes, formatMs, formatRatio } from '../../format.js';
import type { StartupReport } from '../types.js';

/** One claim beside this run's figures. */
export interface ClaimCheck {
  claim: string;
  published: string;
  measured: string;
  /** Whether the claim's direction and size hold here, in a sentence with the factor. */
  verdict: string;
  holds: boolean;
}

const MB = 1e6;

/** Where `v` falls against [lo, hi]: "within", or how many times under or over. */
function against(v: number, lo: number, hi: number, unit: (x: number) => string): string {
  if (v < lo) return `${formatRatio(lo / v)} under the claim's ${unit(lo)} floor`;
  if (v > hi) return `${formatRatio(v / hi)} over the claim's ${unit(hi)} ceiling`;
  return 'within the claim\'s range';
}

const mb = (b: number) => `${+(b / MB).toPrecision(2)} MB`;
const ms = (v: number) => formatMs(v, 'sig3');

/** The four claims, each judged where this report has the figures (a claim without them is left out). */
export function claimChecks(r: StartupReport): ClaimCheck[] {
  const c = r.containers;
  const level = (l: string) => r.isolation.find((i) => i.level === l);
  const instance = level('instance');
  const runcStart = level('runc');
  const processStart = level('process');
  const mod = r.modules.find((m) => m.filter === r.isolationFilter);
  const out: ClaimCheck[] = [];

  if (instance && runcStart) {
    const x = runcStart.medianMs / instance.medianMs;
    const beyondProcess = processStart ? runcStart.medianMs - processStart.medianMs : NaN;
    out.push({
      claim: 'start-up',
      published: 'WebAssembly 1–10 ms; containers 1–5 s (100–5,000× apart)',
      measured:
        `fresh instance + tile ${ms(instance.medianMs)}${mod ? ` (in a fresh process: compile ${ms(mod.compileColdMs)} + first instantiate ${ms(mod.instantiateMs)})` : ''}; ` +
        `fresh runc container + tile ${ms(runcStart.medianMs)} (cold ${ms(runcStart.coldMs ?? NaN)})${Number.isFinite(beyondProcess) ? `, ${ms(beyondProcess)} more than a plain Node process` : ''}`,
      verdict:
        `A fresh instance starts ${formatRatio(x)} faster than a fresh container — the claim's direction holds, ${x >= 100 ? 'and the gap is at least as wide' : 'but the gap is narrower'}. ` +
        `WebAssembly: ${against(instance.medianMs, 1, 10, ms)}. Containers: ${against(runcStart.medianMs, 1000, 5000, ms)} — runc on a local rootfs pays no image pull, unpacking or daemon, which the 1–5 s includes; most of what it does pay is starting Node inside.`,
      holds: x >= 100,
    });
  }

  const held = (k: string) => c?.holding.find((h) => h.kind === k);
  const inst = held('instance');
  const container = held('runc');
  if (inst && container) {
    const cg = container.cgroupBytes;
    // An instance at work: its 64 KiB page touched (the density probe's figure) and a 256×256 tile in and out of its memory.
    const working = r.memory.bytesPerInstance + 2 * 256 * 256 * 4;
    const idleX = container.memory.pss / inst.memory.pss;
    const workingX = container.memory.pss / working;
    out.push({
      claim: 'memory per sandbox',
      published: 'WebAssembly 1–10 MB; containers 50–200 MB',
      measured:
        `idle instance ${formatBytes(inst.memory.pss)} PSS, at work ~${formatBytes(working)} (its page touched, a tile in and out); ` +
        `idle runc container ${formatBytes(container.memory.pss)} PSS, ${formatBytes(container.memory.rss)} RSS${cg !== undefined ? `, its cgroup ${formatBytes(cg)}` : ''}`,
      verdict:
        `An idle container holds ${formatRatio(idleX)} an idle instance, ${formatRatio(workingX)} one at work (PSS). WebAssembly: ${against(working, MB, 10 * MB, mb)} at work. ` +
        `Containers: ${against(container.memory.pss, 50 * MB, 200 * MB, mb)} (by RSS ${against(container.memory.rss, 50 * MB, 200 * MB, mb)}) — a Node process is most of it; the container machinery itself (runc's supervisor) is ${formatBytes(container.supervisor?.pss ?? 0)} PSS.`,
      holds: workingX >= 5,
    });
    const workingPerGiB = Math.floor(2 ** 30 / working);
    const idleDensity = inst.perGiB.pss / container.perGiB.pss;
    const workingDensity = workingPerGiB / container.perGiB.pss;
    const plain = held('process');
    out.push({
      claim: 'density',
      published: '10–20× more WebAssembly sandboxes per machine',
      measured:
        `per GiB: ${inst.perGiB.pss.toLocaleString('en')} idle instances, ${workingPerGiB.toLocaleString('en')} at work; ` +
        `${container.perGiB.pss.toLocaleString('en')} idle runc containers (PSS)${container.perGiB.cgroup ? `, ${container.perGiB.cgroup.toLocaleString('en')} by their cgroups` : ''}`,
      verdict:
        `${formatRatio(workingDensity)} (at work) to ${formatRatio(idleDensity)} (idle) more instances than containers fit in a GiB: ` +
        `${workingDensity >= 10 ? `the claim holds${workingDensity > 20 ? `, and understates it ${formatRatio(workingDensity / 20)} beyond its 20× even at work` : ''}` : 'the claim does not hold at work'}. ` +
        `Address space caps one process at ~13,000 instances (each memory reserves ~10 GiB of guard regions), so past that it takes more processes. ` +
        `The line is a process per sandbox: WebAssembly in a Node process of its own is as heavy as the container${plain ? ` (${formatBytes(plain.memory.pss)} PSS per plain filter process)` : ''}.`,
      holds: workingDensity >= 10,
    });
  }

  const a = c?.artifacts;
  if (a) {
    const x = a.image.bytes / a.filter.wasmBytes;
    out.push({
      claim: 'artifact size',
      published: 'WebAssembly 0.5–10 MB; container images 50–500 MB',
      measured: `${a.filter.name}.wasm ${formatBytes(a.filter.wasmBytes)} (${formatBytes(a.filter.wasmGzipBytes)} gzip), .wasi.wasm ${formatBytes(a.filter.wasiBytes)}; container rootfs ${formatBytes(a.rootfs.bytes)}, its OCI image ${formatBytes(a.image.bytes)} (gzip'd layer)`,
      verdict:
        `The image is ${formatRatio(x)} the filter's .wasm (${formatRatio(a.image.bytes / a.filter.wasmGzipBytes)} gzip against gzip). WebAssembly: ${against(a.filter.wasmBytes, 0.5 * MB, 10 * MB, mb)} (a filter, not an application). ` +
        `Containers: rootfs ${against(a.rootfs.bytes, 50 * MB, 500 * MB, mb)}, packed image ${against(a.image.bytes, 50 * MB, 500 * MB, mb)} — a minimal image: only Node, its libraries and the runner.`,
      holds: x >= 5,
    });
  }
  return out;
}
