/**
 * `tessera serve`'s HTTP server (Node's http module): the page, its scripts, the filter
 * modules the catalog lists, and a small JSON API backed by tessera's own loader, option
 * checks and decoder. Bound to 127.0.0.1 by default; a request naming another host is
 * refused (DNS rebinding), and every answer carries the isolation headers (headers.ts).
 *
 * API:
 * - `GET /api/filters` → {@link ApiFilterList}
 * - `POST /api/plan` (JSON {@link ApiPlanRequest}) → {@link ApiPlan}, or 400 with the CLI's message
 * - `POST /api/check-image?name=FILE` (the file's bytes) → {@link ApiImageCheck}
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PAGE } from '../filter/abi.js';
import { errorMessage, ErrorCode, TesseraError } from '../errors.js';
import { DEFAULT_FILTER_MEMORY_MB, DEFAULT_MAX_PIXELS, DEFAULT_TILE_SIZE, DEFAULT_TILE_TIMEOUT_MS } from '../pipeline/defaults.js';
import type { ApiFilterList } from './api-types.js';
import { FilterCatalog } from './catalog.js';
import { contentSecurityPolicy, hostAllowed, setCommonHeaders } from './headers.js';
import { checkImageBytes } from './image-check.js';
import { pageAssets } from './page-assets.js';
import { planRun } from './plan.js';
import { mountedFile, sendFile } from './static-files.js';

/** Options of {@link startServer}. */
export interface ServeOptions {
  /** TCP port; 0 picks a free one. @defaultValue 8080 */
  port?: number;
  /** Address to bind. @defaultValue '127.0.0.1' */
  host?: string;
  /** A directory of the user's `.wasm` filters, listed beside the built-ins. */
  filtersDir?: string;
  /** Send COOP/COEP, so the page is cross-origin isolated and runs `shared`. @defaultValue true */
  isolation?: boolean;
}

/** A running server. */
export interface RunningServer {
  /** `http://HOST:PORT/` */
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Largest image file the page may send for a check. */
const MAX_IMAGE_BYTES = 256 * 2 ** 20;

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) }).end(text);
}

/** The request body, refused past `limit` bytes. */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        // The rest is read and dropped, so the answer still reaches the page.
        req.off('data', onData);
        req.resume();
        reject(new TesseraError(ErrorCode.Usage, `the request is over ${limit / 2 ** 20} MiB, more than tessera serve takes`));
        return;
      }
      parts.push(chunk);
    };
    req.on('data', onData);
    req.on('end', () => resolve(Buffer.concat(parts)));
    req.on('error', reject);
  });
}

/**
 * Starts the server.
 * @example const server = await startServer({ port: 0 }); console.log(server.url); await server.close();
 * @throws TesseraError Usage when the page is not built or the port is taken
 */
export async function startServer(options: ServeOptions = {}): Promise<RunningServer> {
  const host = options.host ?? '127.0.0.1';
  const isolation = options.isolation ?? true;
  const assets = pageAssets();
  const csp = contentSecurityPolicy(assets.importMapHash);
  const catalog = new FilterCatalog(options.filtersDir);
  catalog.list(); // a broken --filters directory fails at start, not at the first page load
  const limits = {
    maxPixels: DEFAULT_MAX_PIXELS,
    tileSize: DEFAULT_TILE_SIZE,
    tileTimeoutMs: DEFAULT_TILE_TIMEOUT_MS,
    maxMemoryPages: Math.ceil((DEFAULT_FILTER_MEMORY_MB * 2 ** 20) / PAGE),
  };
  let port = 0;

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname;
    const method = req.method ?? 'GET';
    if (path.startsWith('/api/')) {
      if (path === '/api/filters' && method === 'GET') {
        const body: ApiFilterList = { isolation, limits, filters: catalog.list() };
        return sendJson(res, 200, body);
      }
      if (path === '/api/plan' && method === 'POST') {
        let body: unknown;
        try {
          body = JSON.parse((await readBody(req, 64 * 1024)).toString('utf8'));
        } catch (err) {
          return sendJson(res, 400, { error: err instanceof TesseraError ? err.message : 'the body is not JSON' });
        }
        try {
          return sendJson(res, 200, planRun(catalog, body));
        } catch (err) {
          return sendJson(res, 400, { error: errorMessage(err) });
        }
      }
      if (path === '/api/check-image' && method === 'POST') {
        const bytes = await readBody(req, MAX_IMAGE_BYTES);
        return sendJson(res, 200, await checkImageBytes(url.searchParams.get('name') ?? 'image', bytes, limits.maxPixels));
      }
      return sendJson(res, 404, { error: `no ${method} ${path}` });
    }
    if (method !== 'GET' && method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    const file = path === '/' || path === '/index.html' ? assets.indexHtml : (catalog.file(path) ?? mountedFile(assets.mounts, path));
    if (!file) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found\n');
      return;
    }
    await sendFile(res, file, method === 'HEAD');
  }

  const server: Server = createServer((req, res) => {
    setCommonHeaders(res, isolation, csp);
    if (!hostAllowed(req.headers.host, host, port)) {
      res.writeHead(421, { 'content-type': 'text/plain; charset=utf-8' }).end(`tessera serve answers only requests for ${host}:${port}\n`);
      return;
    }
    route(req, res).catch((err: unknown) => {
      if (!res.headersSent) sendJson(res, err instanceof TesseraError ? 400 : 500, { error: errorMessage(err) });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') {
        reject(new TesseraError(ErrorCode.Usage, `port ${options.port ?? 8080} on ${host} is in use. Possible solutions:\n- tessera serve --port N (another port)\n- tessera serve --port 0 (any free port)`));
      } else reject(err);
    });
    server.listen(options.port ?? 8080, host, () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  const shown = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shown}:${port}/`,
    port,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
