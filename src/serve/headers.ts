/**
 * The headers every answer of `tessera serve` carries. Cross-origin isolation
 * (COOP same-origin + COEP require-corp) is what lets the page create a shared
 * `WebAssembly.Memory` and run the `shared` strategy; `--no-isolation` leaves the two
 * out, and the page falls back to `copy`. Everything else keeps the page to its own
 * origin: it loads nothing from anywhere else and may be framed by nobody.
 */
import type { ServerResponse } from 'node:http';

/** The Content-Security-Policy: same-origin everything, WebAssembly allowed, the one inline import map by hash. */
export function contentSecurityPolicy(importMapHash: string): string {
  return [
    "default-src 'self'",
    `script-src 'self' 'wasm-unsafe-eval' ${importMapHash}`,
    "style-src 'self'",
    "img-src 'self' blob: data:",
    "worker-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** Sets the headers of every response. */
export function setCommonHeaders(res: ServerResponse, isolation: boolean, csp: string): void {
  if (isolation) {
    res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
    res.setHeader('Cross-Origin-Embedder-Policy', 'require-corp');
  }
  res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
  res.setHeader('Content-Security-Policy', csp);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  // A local tool: a rebuilt filter or page must show at the next load.
  res.setHeader('Cache-Control', 'no-store');
}

/**
 * Whether a request's Host header names this server: refuses DNS rebinding, where a
 * page on another site resolves its own name to 127.0.0.1 to read this server's answers.
 * @param host the address the server is bound to
 */
export function hostAllowed(header: string | undefined, host: string, port: number): boolean {
  if (host === '0.0.0.0' || host === '::') return true; // the user chose to serve every interface
  if (!header) return false;
  const named = host.includes(':') ? `[${host}]` : host;
  const allowed = new Set([`${named.toLowerCase()}:${port}`, `localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`]);
  return allowed.has(header.toLowerCase());
}
