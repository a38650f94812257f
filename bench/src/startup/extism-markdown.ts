/** The Extism rows of startup.md: per tile, the call taken apart, a bare host call, creation. */
import { formatBytes, formatMs, formatRatio, markdownTable } from '../format.js';
import { extismBreakdown } from './extism-breakdown.js';
import type { CallTiming, ExtismStartup } from './types.js';

const ms = (v: number) => formatMs(v, 'fine');
const mp = (t: CallTiming) => `${ms(t.medianMs)} (p99 ${ms(t.p99Ms)})`;
const ok = (v: boolean) => (v ? '✓' : '✗');

/** The Extism section of startup.md. */
export function renderExtismMarkdown(e: ExtismStartup): string {
  const parts = [
    `### Extism: tessera's filters as an Extism plugin (${e.sdk})`,
    '',
    `tessera's grayscale and gaussian-blur sources compiled as one Extism plugin (AssemblyScript PDK, ${formatBytes(e.plugin.bytes)}, ${formatBytes(e.plugin.gzipBytes)} gzipped), one \`plugin.call\` per 256×256 tile (input: a 32-byte header + the tile with its halo; output: the tile's RGBA), against tessera's own paths on the same tile:`,
    '',
    markdownTable(
      ['filter', 'path', 'samples', 'median', 'p99', 'GC per call', 'vs copy', 'verified'],
      e.tiles.flatMap((t) => {
        const gc = (c: CallTiming) => (c.gcMsPerCall === undefined ? '—' : ms(c.gcMsPerCall));
        const row = (path: string, c: CallTiming) => [t.filter, path, String(c.samples), ms(c.medianMs), ms(c.p99Ms), gc(c), formatRatio(c.medianMs / t.copy.medianMs, 'tenths'), ok(t.verified)];
        return [
          row('Extism `plugin.call`', t.extism),
          row('Extism, PDK `Host.input()`/`output()`', t.extismPdk),
          row('tessera `copy` (pooled)', t.copy),
          row('tessera `shared`', t.shared),
        ];
      }),
    ),
    '',
    'The plugin moves its input and output through its own arena with the PDK\'s host imports; its twin written the PDK README\'s way (`Host.input()` into a new array, `Host.output()` from one, a garbage-collected heap) makes the same host calls.',
    '',
    'Where the Extism call goes, from the plugin\'s probe exports (each a `plugin.call` of its own; medians, the fixed cost taken out of the others):',
    '',
    markdownTable(
      ['filter', 'fixed (empty export)', 'input', 'filter', 'output', 'sum', 'whole call', 'moving bytes'],
      e.tiles.map((t) => {
        const b = extismBreakdown(t);
        return [
          t.filter,
          ms(b.fixedMs),
          `${ms(b.inputMs)}: ${formatBytes(t.inputBytes)} in ${t.hostCalls.input.toLocaleString('en')} host calls, ${b.nsPerInputCall.toFixed(0)} ns each`,
          `${ms(b.filterMs)} (\`copy\`: ${ms(t.copy.medianMs)} with both copies)`,
          `${ms(b.outputMs)}: ${formatBytes(t.outputBytes)} in ${t.hostCalls.output.toLocaleString('en')} host calls, ${b.nsPerOutputCall.toFixed(0)} ns each`,
          ms(b.sumMs),
          ms(t.extism.medianMs),
          `${(b.transferShare * 100).toFixed(0)}%`,
        ];
      }),
    ),
    '',
    `A bare WebAssembly → JavaScript import call, ${e.hostCall.calls.toLocaleString('en')} in a loop: ${nsPerCall(e.hostCall.i32, e.hostCall.calls)} ns each with i32 arguments and results, ${nsPerCall(e.hostCall.i64, e.hostCall.calls)} ns with i64 (BigInt) ones doing what \`input_load_u64\` does at heart (a \`DataView.getBigUint64\`); the SDK's own work per call (its BigInt address arithmetic and block lookup) is the rest.`,
    '',
    'Creating a sandbox:',
    '',
  ];
  const c = e.creation;
  parts.push(
    markdownTable(
      ['step', 'Extism', 'tessera', 'ratio'],
      [
        [`import, fresh process (median of ${c.processes})`, `\`import('@extism/extism')\` ${ms(c.sdkImportMs)}`, `filter loader ${ms(c.tesseraImportMs)}`, formatRatio(c.sdkImportMs / c.tesseraImportMs, 'tenths')],
        [`create cold, fresh process (median of ${c.processes})`, `\`createPlugin(arrayBuffer)\` ${ms(c.pluginColdMs)}`, `compile + instantiate both filters ${ms(c.tesseraColdMs)}`, formatRatio(c.pluginColdMs / c.tesseraColdMs, 'tenths')],
        [`… with a manifest object (median of ${c.processes})`, `\`createPlugin({ wasm: [{ data }] })\` ${ms(c.pluginColdManifestMs)}: its \`instanceof Response\` loads undici`, '', formatRatio(c.pluginColdManifestMs / c.tesseraColdMs, 'tenths')],
        ['create from the compiled module, in process', `\`createPlugin(module)\` ${mp(c.pluginFromModule)}`, `instantiate ${mp(c.tesseraInstantiate)}`, formatRatio(c.pluginFromModule.medianMs / c.tesseraInstantiate.medianMs, 'tenths')],
        ['a fresh sandbox per grayscale tile', `new plugin + call ${mp(c.pluginPerTile)}`, `fresh instance + tile ${mp(c.instancePerTile)}`, formatRatio(c.pluginPerTile.medianMs / c.instancePerTile.medianMs, 'tenths')],
      ],
    ),
  );
  return parts.join('\n');
}

function nsPerCall(t: CallTiming, calls: number): string {
  return ((t.medianMs * 1e6) / calls).toFixed(1);
}
