/**
 * The page's alpha passes (issue 16): a filter whose manifest says `"alpha": "premultiplied"`
 * runs on the premultiplied image and its output is unpremultiplied, as `tessera run` does —
 * the same kernel (assembly/host/premultiply.ts, served beside the page's scripts) driven by
 * the same code (src/pipeline/alpha-passes.ts), so the pixels are the CLI's.
 */
import { alphaMode, MANIFEST_SECTION, parseManifest, type AlphaMode } from '../../src/filter/manifest.js';
import { AlphaPasses } from '../../src/pipeline/alpha-passes.js';

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

/** The alpha mode a compiled filter's own manifest declares (its `tessera.manifest` section, as the loader reads it). */
export function declaredAlpha(module: WebAssembly.Module, label: string): AlphaMode {
  const sections = WebAssembly.Module.customSections(module, MANIFEST_SECTION);
  return sections.length ? alphaMode(parseManifest(new TextDecoder().decode(sections[0]), label)) : 'straight';
}
