import { formatBytes, formatMs, formatRatio, markdownTable } from '../../format.js';
import type { StartupReport } from '../types.js';
import { claimChecks } from './claims.js';
import type { ContainersReport, HoldingCost, SandboxKind } from './types.js';

/** What each kind of sandbox is, as the tables name it. */
export const SANDBOX_LABEL: Record<SandboxKind, string> = {
  runc: 'runc container (Node filter process)',
  bwrap: 'bwrap sandbox (Node filter process)',
  process: 'plain Node filter process',
  instance: 'filter instance (in one process)',
};

const perGiB = (n: number | undefined) => (n === undefined || !Number.isFinite(n) ? '—' : n.toLocaleString('en'));

function holdingTable(rows: HoldingCost[]): string {
  return markdownTable(
    ['sandbox', 'alive at once', 'processes each', 'RSS each', 'PSS each (anon + file)', 'cgroup each', 'per GiB by PSS', 'by RSS', 'by cgroup'],
    rows.map((h) => [
      SANDBOX_LABEL[h.kind],
      h.sandboxes.toLocaleString('en'),
      h.kind === 'instance' ? '—' : String(h.processes),
      formatBytes(h.memory.rss),
      `${formatBytes(h.memory.pss)} (${formatBytes(h.memory.pssAnon)} + ${formatBytes(h.memory.pssFile)})`,
      h.cgroupBytes === undefined ? '—' : formatBytes(h.cgroupBytes),
      perGiB(h.perGiB.pss),
      perGiB(h.perGiB.rss),
      perGiB(h.perGiB.cgroup),
    ]),
  );
}

function artifactsPart(c: ContainersReport): string[] {
  const a = c.artifacts;
  if (!a) return [];
  const parts = a.rootfs.parts.map((p) => `${p.role} ${formatBytes(p.bytes)} (${p.files} file${p.files > 1 ? 's' : ''})`).join(', ');
  return [
    '',
    'What each ships:',
    '',
    markdownTable(
      ['artifact', 'size', 'gzip'],
      [
        [`${a.filter.name}.wasm (copy, shared)`, formatBytes(a.filter.wasmBytes), formatBytes(a.filter.wasmGzipBytes)],
        [`${a.filter.name}.wasi.wasm (the command form the sandboxes run)`, formatBytes(a.filter.wasiBytes), formatBytes(a.filter.wasiGzipBytes)],
        [`container rootfs as built (${a.rootfs.files} files)`, formatBytes(a.rootfs.bytes), `${formatBytes(a.image.layerBytes)} (its layer)`],
        ['the rootfs as an OCI image archive', formatBytes(a.image.bytes), '(the layer is gzip\'d)'],
      ],
    ),
    '',
    `The rootfs: ${parts}. The image: ${a.image.contents}; the layer's tar is ${formatBytes(a.image.layerTarBytes)} before gzip. ` +
      `The image is ${formatRatio(a.image.bytes / a.filter.wasmBytes)} the size of the filter's .wasm.`,
  ];
}

function pipePart(c: ContainersReport): string[] {
  const p = c.pipe;
  if (!p) return [];
  const name = { none: 'pipe (plain filter processes)', bwrap: 'pipe, each process in a bwrap sandbox', runc: 'pipe, each process in a runc container' } as const;
  return [
    '',
    `Steady state: \`pipe\` with one long-lived sandbox per worker, ${p.images} images of the bench's set (${p.megapixels.toFixed(2)} Mpx), ${p.filter}, ${p.workers} workers, in-process (warm), rounds interleaved:`,
    '',
    markdownTable(
      ['way', 'runs', 'median', 'images/s', 'Mpx/s', 'vs pipe', 'cold run', 'verified'],
      p.rows.map((r) => [name[r.launcher], String(r.runs), formatMs(r.medianMs, 'table'), r.imagesPerS.toFixed(1), r.mpxPerS.toFixed(1), formatRatio(r.vsPipe, 'report'), formatMs(r.coldMs, 'table'), r.verified ? 'yes' : '**NO**']),
    ),
  ];
}

/** The containers part of startup.md: holding cost, artifact sizes, pipe in containers, the published claims judged. */
export function renderContainersMarkdown(r: StartupReport): string {
  const c = r.containers;
  if (!c) return '';
  const runtimes = [c.runtimes.runc, c.runtimes.bwrap].filter(Boolean).join('; ');
  const parts = ['### Containers beside WebAssembly', '', `Same filter (${c.filter}) and tile as the isolation levels above${runtimes ? `; ${runtimes}` : ''}.`];
  if (c.holding.length) {
    const inst = c.holding.find((h) => h.kind === 'instance');
    const sup = c.holding.filter((h) => h.supervisor).map((h) => `${h.kind} ${formatBytes(h.supervisor!.pss)} PSS (${formatBytes(h.supervisor!.rss)} RSS)`);
    parts.push(
      '',
      'Holding cost: sandboxes started and left idle (each filter process blocked reading its stdin), memory read from /proc/PID/smaps_rollup for every process involved and from the container\'s memory cgroup:',
      '',
      holdingTable(c.holding),
      '',
      `PSS splits each shared page among the processes mapping it: the file part (Node's code) shrinks as more sandboxes share one binary — the host's for bwrap and plain processes (shared with every other Node process on the machine), the rootfs's own copy for the containers. ` +
        (sup.length ? `Supervisors per sandbox, in the figures: ${sup.join('; ')}. ` : '') +
        (inst?.host ? `The instances' one host process holds ${formatBytes(inst.host.pss)} PSS (${formatBytes(inst.host.rss)} RSS) before the first of them.` : ''),
    );
  }
  parts.push(...artifactsPart(c), ...pipePart(c));
  const claims = claimChecks(r);
  if (claims.length) {
    parts.push('', 'The published claims, judged on this run:', '', markdownTable(['claim', 'published', 'tessera here', 'verdict'], claims.map((k) => [k.claim, k.published, k.measured, `${k.holds ? '**holds**' : '**does not hold**'}: ${k.verdict}`])));
  }
  const left = c.teardown.containers.length + c.teardown.processes.length;
  parts.push('', `Teardown: ${left ? `**left ${c.teardown.containers.length} container(s) (${c.teardown.containers.join(', ')}) and ${c.teardown.processes.length} process(es)**` : 'no container of this run in `runc list`, no process left'}${c.teardown.staleSwept.length ? `; removed ${c.teardown.staleSwept.length} left by an earlier run` : ''}.`);
  if (c.skipped.length) parts.push('', ...c.skipped.map((s) => `- ${s}`));
  return parts.join('\n');
}

