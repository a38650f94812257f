/**
 * The unit of work of every isolation level: one 256×256 tile of deterministic pixels, the same
 * bytes whether it is copied into a pooled instance or sent as a request frame (the WASI
 * command form's "TSR1" format) to a fresh process, bwrap sandbox or container — and the
 * one-frame run those use: spawn, the frame on stdin, the response on stdout, exit.
 */
import { spawn } from 'node:child_process';
import { loadFilter } from 'tessera/internal/filter/filter-module';
import { CopyTileRunner } from 'tessera/internal/strategies/copy';
import { resolveParams } from 'tessera/internal/filter/params';
import { decodeResponseInto, encodeRequest, responseBytes } from 'tessera/internal/strategies/process/frame';
import { paddedLayout, writePadded } from 'tessera/internal/tiling/padded-image';

/** Side of the isolation tile, pixels. */
export const TILE_SIDE = 256;

/** One tile of one filter, padded as the copy strategy lays it out, and the same tile as a request frame. */
export interface IsolationTile {
  filter: string;
  params: number[];
  halo: number;
  /** The tile's pixels, unpadded. */
  rgba: Uint8Array;
  layout: ReturnType<typeof paddedLayout>;
  /** The padded source. */
  src: SharedArrayBuffer;
  /** A request frame of the tile (header + rows with halo). */
  frame: Buffer;
  /** Bytes of its response frame. */
  responseBytes: number;
}

/** The isolation tile of `filter` (a built-in), with its default params and a halo of 0, as the bench has always timed it. */
export function isolationTile(filter: string): IsolationTile {
  const params = resolveParams(loadFilter(filter).manifest);
  const halo = 0;
  const layout = paddedLayout(TILE_SIDE, TILE_SIDE, halo);
  const src = new SharedArrayBuffer(layout.byteLength);
  const rgba = new Uint8Array(TILE_SIDE * TILE_SIDE * 4).map((_, i) => (i * 31) & 255);
  writePadded(rgba, layout, new Uint8Array(src), 0);
  const frame = encodeRequest(new Uint8Array(src), layout.origin, layout.stride, TILE_SIDE, TILE_SIDE, halo, params);
  return { filter, params, halo, rgba, layout, src, frame, responseBytes: responseBytes(TILE_SIDE, TILE_SIDE) };
}

/** The tile filtered once by a pooled instance (the copy strategy's runner): what every isolation level's output must equal. */
export function pooledOutput(tile: IsolationTile): Uint8Array {
  const runner = new CopyTileRunner({ strategy: 'copy', filterName: tile.filter, variant: loadFilter(tile.filter).plain, maxMemoryPages: 4096, params: tile.params, halo: tile.halo, isolation: 'pooled' });
  const dst = new SharedArrayBuffer(TILE_SIDE * TILE_SIDE * 4);
  runner.run({ width: TILE_SIDE, height: TILE_SIDE, src: tile.src, srcOffset: tile.layout.origin, srcStride: tile.layout.stride, dst, dstOffset: 0, dstStride: TILE_SIDE * 4 });
  return new Uint8Array(dst).slice();
}

/** What one frame through a fresh process gave: wall time from spawn to its exit (stdio closed) and the output pixels. */
export interface FrameRun {
  ms: number;
  pixels: Uint8Array;
}

/** How to run one frame: the command, and what it is called in errors. */
export interface FrameCommand {
  command: string;
  args: readonly string[];
  env?: Readonly<Record<string, string>>;
  what: string;
  /** Kill it after this long (the caller cleans up what a kill leaves, e.g. a container). @defaultValue 30000 */
  timeoutMs?: number;
  /** Called with the child as soon as it is spawned (to track it for teardown). */
  onSpawn?: (child: import('node:child_process').ChildProcess) => void;
}

/**
 * Spawns `cmd`, writes the tile's frame to its stdin, closes it, and resolves once the process
 * has exited with its stdio closed ('close', not 'exit': output may still be in flight at exit).
 * @throws Error when it answers with fewer or more bytes than a response, exits non-zero, or times out
 */
export function runOneFrame(tile: IsolationTile, cmd: FrameCommand): Promise<FrameRun> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd.command, [...cmd.args], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...(cmd.env ?? process.env) } });
    cmd.onSpawn?.(child);
    const chunks: Buffer[] = [];
    let got = 0;
    let stderr = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, cmd.timeoutMs ?? 30_000);
    child.stdout.on('data', (d: Buffer) => {
      got += d.length;
      if (got <= tile.responseBytes) chunks.push(d);
    });
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
    child.stdin.on('error', () => {}); // reported through the exit status
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`${cmd.what}: cannot start ${cmd.command}: ${err.message}`));
    });
    child.on('close', (code, signal) => {
      const ms = performance.now() - t0;
      clearTimeout(timer);
      if (timedOut) return reject(new Error(`${cmd.what}: no answer within ${cmd.timeoutMs ?? 30_000} ms; killed`));
      if (code !== 0 || got !== tile.responseBytes) {
        return reject(new Error(`${cmd.what}: exited ${signal ?? `with code ${code}`} after ${got} of ${tile.responseBytes} response bytes${stderr ? `: ${stderr.trim()}` : ''}`));
      }
      const pixels = new Uint8Array(TILE_SIDE * TILE_SIDE * 4);
      try {
        decodeResponseInto(Buffer.concat(chunks), TILE_SIDE, TILE_SIDE, pixels, 0, TILE_SIDE * 4);
      } catch (err) {
        return reject(new Error(`${cmd.what}: ${(err as Error).message}`));
      }
      resolve({ ms, pixels });
    });
    child.stdin.end(tile.frame);
  });
}
