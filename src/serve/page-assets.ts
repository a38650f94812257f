/**
 * Where the page's files are on disk and under which URL each is served: the static
 * page (web/), its compiled modules (dist/web/, built by `npm run build`), and the PNG
 * library and its two dependencies straight from node_modules — plain ES modules the
 * browser loads through the page's import map, no bundler.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ErrorCode, TesseraError } from '../errors.js';

/** The package root, from this compiled file (dist/src/serve/). */
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** A URL prefix served from a directory, or one URL served from one file. */
export interface Mount {
  prefix: string;
  /** A directory (prefix ends in `/`) or a file (prefix is the whole path). */
  path: string;
}

/** The folder of a package's file, walking up to its package.json. */
function packageRoot(file: string): string {
  let dir = dirname(file);
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) return dirname(file);
    dir = up;
  }
  return dir;
}

/** What the server needs to serve the page. */
export interface PageAssets {
  indexHtml: string;
  mounts: Mount[];
  /** `'sha256-…'` of the page's inline import map, for its Content-Security-Policy. */
  importMapHash: string;
}

/**
 * Finds the page's files.
 * @throws TesseraError Usage when the page was not built (dist/web missing) or fast-png is not installed
 */
export function pageAssets(): PageAssets {
  const web = join(ROOT, 'web');
  const built = join(ROOT, 'dist/web');
  if (!existsSync(join(built, 'web/src/main.js'))) {
    throw new TesseraError(ErrorCode.Usage, `the page's scripts are not built (${join(built, 'web/src/main.js')} is missing). Possible solutions:\n- npm run build`);
  }
  const require = createRequire(import.meta.url);
  let fastPng: string;
  try {
    fastPng = require.resolve('fast-png');
  } catch {
    throw new TesseraError(ErrorCode.Usage, 'the PNG library of the page (fast-png) is not installed. Possible solutions:\n- npm install');
  }
  // Its dependencies, found from it (npm may nest them under it).
  const fromFastPng = createRequire(fastPng);
  const fflate = join(packageRoot(fromFastPng.resolve('fflate')), 'esm/browser.js');
  const iobuffer = dirname(fromFastPng.resolve('iobuffer'));
  const indexHtml = join(web, 'index.html');
  const html = readFileSync(indexHtml, 'utf8');
  const importMap = /<script type="importmap">([\s\S]*?)<\/script>/.exec(html)?.[1] ?? '';
  return {
    indexHtml,
    importMapHash: `'sha256-${createHash('sha256').update(importMap).digest('base64')}'`,
    mounts: [
      { prefix: '/style.css', path: join(web, 'style.css') },
      { prefix: '/js/', path: built },
      { prefix: '/vendor/fast-png/', path: dirname(fastPng) },
      { prefix: '/vendor/fflate/browser.js', path: fflate },
      { prefix: '/vendor/iobuffer/', path: iobuffer },
    ],
  };
}
