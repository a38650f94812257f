/**
 * `disk` — the reference's "naive" rung, faithfully: every tile (with its halo) is
 * PNG-encoded to a temporary directory, a fresh filter process per tile reads it and
 * writes the processed PNG, and the image is reassembled from the files on disk.
 * Temporary files are removed after each tile, and the directory on close, on
 * failure and on Ctrl-C.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unlink } from 'node:fs/promises';
import { sharp } from '../../io/sharp.js';
import { release, removeOnExit } from '../../io/cleanup.js';
import { copyRows, haloOrigin } from '../../tiling/rows.js';
import type { RunnerInit, TileTask, TileTimings } from '../types.js';
import { WASI_PROCESS_FLAGS, WASI_PROCESS_SCRIPT } from './child-process.js';
import { tileTimeoutError } from '../../executors/deadline.js';
import type { TileExecutor } from '../../executors/types.js';
import { filterText } from '../../filter/filter-text.js';

function runProcess(args: string[], timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...WASI_PROCESS_FLAGS, WASI_PROCESS_SCRIPT, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else if (timedOut) reject(tileTimeoutError(timeoutMs, 'its filter process was killed'));
      else reject(new Error(`filter process exited (${signal ?? `code ${code}`})${stderr ? `: ${filterText(stderr.trim())}` : ''}`));
    });
  });
}

/** Runs each tile in its own filter process, through PNG files, `threads` at a time. */
export class DiskExecutor implements TileExecutor {
  private readonly dir: string;
  private running = 0;
  private readonly waiting: Array<() => void> = [];
  private seq = 0;

  constructor(
    private readonly init: RunnerInit,
    readonly threads: number,
    private readonly tileTimeoutMs: number,
  ) {
    if (!init.commandPath) throw new Error('disk strategy needs the filter\'s WASI command form');
    this.dir = mkdtempSync(join(tmpdir(), 'tessera-disk-'));
    removeOnExit(this.dir);
  }

  async run(task: TileTask): Promise<TileTimings> {
    if (this.running >= this.threads) await new Promise<void>((r) => this.waiting.push(r));
    this.running++;
    const id = this.seq++;
    const inPng = join(this.dir, `tile-${id}.png`);
    const outPng = join(this.dir, `tile-${id}.out.png`);
    try {
      const { halo, params } = this.init;
      const t0 = performance.now();
      const w = task.width + 2 * halo;
      const h = task.height + 2 * halo;
      const tile = Buffer.allocUnsafe(w * h * 4);
      copyRows(new Uint8Array(task.src!), haloOrigin(task.srcOffset, task.srcStride, halo), task.srcStride, tile, 0, w * 4, w * 4, h);
      await sharp(tile, { raw: { width: w, height: h, channels: 4 } }).png({ compressionLevel: 6, adaptiveFiltering: false }).toFile(inPng);
      const t1 = performance.now();
      await runProcess([this.init.commandPath!, '--disk', inPng, outPng, '--halo', String(halo), '--params', params.join(',') || '0'], this.tileTimeoutMs);
      const t2 = performance.now();
      const { data } = await sharp(outPng).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
      copyRows(data, 0, task.width * 4, new Uint8Array(task.dst!), task.dstOffset, task.dstStride, task.width * 4, task.height);
      return { splitMs: t1 - t0, filterMs: t2 - t1, assembleMs: performance.now() - t2 };
    } finally {
      await Promise.all([unlink(inPng).catch(() => {}), unlink(outPng).catch(() => {})]);
      this.running--;
      this.waiting.shift()?.();
    }
  }

  async close(): Promise<void> {
    rmSync(this.dir, { recursive: true, force: true });
    release(this.dir);
  }
}
