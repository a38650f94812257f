/**
 * Serving the page's own files: a URL maps to a file only through a mount (page-assets.ts)
 * or the filter catalog, never by joining a path the browser sent onto the disk.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { extname, isAbsolute, relative, resolve } from 'node:path';
import type { Mount } from './page-assets.js';

/** The types served; a file of any other kind is not. */
const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  // compileStreaming insists on it.
  '.wasm': 'application/wasm',
};

/** The file a mount gives `urlPath`, if any: inside the mounted directory and of a served type. */
export function mountedFile(mounts: readonly Mount[], urlPath: string): string | undefined {
  for (const { prefix, path } of mounts) {
    if (!prefix.endsWith('/')) {
      if (urlPath === prefix) return path;
      continue;
    }
    if (!urlPath.startsWith(prefix)) continue;
    let rest: string;
    try {
      rest = decodeURIComponent(urlPath.slice(prefix.length));
    } catch {
      return undefined;
    }
    if (rest.includes('\0') || !(extname(rest) in TYPES)) return undefined;
    const file = resolve(path, rest);
    const inside = relative(path, file);
    if (inside === '' || inside.startsWith('..') || isAbsolute(inside)) return undefined;
    return file;
  }
  return undefined;
}

/** Sends `file` (status 200) or answers 404 when it is not a regular file; `head` sends the headers only. */
export async function sendFile(res: ServerResponse, file: string, head: boolean): Promise<void> {
  const type = TYPES[extname(file)];
  const st = await stat(file).catch(() => undefined);
  if (!type || !st?.isFile()) {
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found\n');
    return;
  }
  res.writeHead(200, { 'content-type': type, 'content-length': st.size });
  if (head) {
    res.end();
    return;
  }
  createReadStream(file).on('error', () => res.destroy()).pipe(res);
}
