/**
 * The page's alpha passes (issue 16): a filter whose manifest says `"alpha": "premultiplied"`
 * runs on the premultiplied image and its output is unpremultiplied, as `tessera run` does —
 * the same kernel (assembly/host/premultiply.ts, served beside the page's scripts) driven by
 * the same code (src/pipeline/alpha-passes.ts), so the pixels are the CLI's.
 */
import { MANIFEST_SECTION, parseManifest } from '../../src/filter/manifest.js';
import { AlphaPasses, premultipliedAlpha, type PremultipliedAlpha } from '../../src/pipeline/alpha-passes.js';
import type { ApiFilter } from '../../src/serve/api-types.js';

let passes: Promise<AlphaPasses> | undefined;

/** The passes, compiled once per page; in place in shared memories when the page is cross-origin isolated. */
export function alphaPasses(): Promise<AlphaPasses> {
  if (!passes) {
    // This module is /js/web/src/alpha.js; the build puts the kernel at /js/host/.
    const compile = (name: string) => WebAssembly.compileStreaming(fetch(new URL(`../../host/${name}`, import.meta.url)));
    passes = Promise.all([compile('premultiply.wasm'), crossOriginIsolated ? compile('premultiply.shared.wasm') : undefined]).then(
      ([plain, shared]) => new AlphaPasses(plain, shared),
    );
    passes.catch(() => (passes = undefined));
  }
  return passes;
}

/** A filter on premultiplied alpha: how it is run, and the passes to run around its tiles. */
export interface FilterAlphaPasses {
  alpha: PremultipliedAlpha;
  passes: AlphaPasses;
}

/**
 * The alpha passes a compiled filter needs, from its own manifest (the `tessera.manifest`
 * section, as tessera's loader reads it) and whether it is a built-in: undefined for straight alpha.
 */
export async function alphaPassesFor(module: WebAssembly.Module, filter: Pick<ApiFilter, 'label' | 'builtin'>): Promise<FilterAlphaPasses | undefined> {
  const sections = WebAssembly.Module.customSections(module, MANIFEST_SECTION);
  const alpha = sections.length ? premultipliedAlpha(parseManifest(new TextDecoder().decode(sections[0]), filter.label), filter.builtin) : undefined;
  return alpha && { alpha, passes: await alphaPasses() };
}
