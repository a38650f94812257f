/**
 * A session's work over the queue: what `Session.run` and `Session.filterPixels` do when
 * `backend: 'queue'`. Each input goes to the workers as one image job; the coordinator
 * checks inputs and outputs as a local run does (links, never writing onto an input),
 * writes each output that comes back atomically, and keeps a journal so that the same
 * command started again after a kill skips what is done.
 */
import { readFile, realpath, stat } from 'node:fs/promises';
import { basename, extname, join, relative, resolve } from 'node:path';
import { ErrorCode, TesseraError, errorMessage } from '../errors.js';
import type { FilterModule } from '../filter/filter-module.js';
import { writeFileAtomic } from '../io/atomic-write.js';
import { sniffImageFile } from '../io/decode.js';
import type { ChannelLayout } from '../io/encode.js';
import type { PaddedLayout } from '../tiling/padded-image.js';
import { checkInputLink, guardOutput, isInside } from '../io/inputs.js';
import type { ImageResult } from '../pipeline/session.js';
import { resolveSecret } from './auth.js';
import { QueueCoordinator, type SessionJobFields } from './coordinator.js';
import { MAX_VALUE_BYTES } from './keys.js';
import { RunJournal, runFingerprint } from './run-journal.js';

/** What a remote run needs beyond the coordinator's options. */
export interface RemoteSessionOptions {
  redis: string;
  filter: FilterModule;
  secret?: string;
  /** Storage every machine mounts: inputs and outputs travel as paths inside it, not as bytes. */
  sharedDir?: string;
  job: SessionJobFields;
  followSymlinks: boolean;
  /** Images enqueued at once, at most. */
  imagesInFlight: number;
  /** The output's file name for an input (`--name`, `--suffix`, `--format`). */
  outputName: (file: string) => string;
}

const MB = 2 ** 20;

/**
 * How a run treats big images: `run` streams them here and sends their bands as jobs — those
 * over `abovePixels` when it is set, and those whose files are too big to travel whole — and
 * resolves with the image's result (its output path and time are added here).
 */
export interface SplitRule {
  abovePixels?: number;
  run: (file: string, out: string) => Promise<Omit<ImageResult, 'ms'>>;
}

/** The queue side of a session. */
export class RemoteSession {
  private readonly coordinator: QueueCoordinator;
  private sharedRoot?: Promise<string>;

  constructor(private readonly options: RemoteSessionOptions) {
    // The flag, else TESSERA_SECRET; a secret too short to resist guessing is a usage error.
    this.coordinator = new QueueCoordinator({ redis: options.redis, filter: options.filter, secret: resolveSecret(options.secret), session: options.job });
    if (options.sharedDir) {
      const dir = options.sharedDir;
      this.sharedRoot = realpath(dir).catch(() => {
        throw new TesseraError(ErrorCode.Usage, `--shared-dir ${dir} does not exist or cannot be read`);
      });
      this.sharedRoot.catch(() => {});
    }
  }

  ready(): Promise<void> {
    return Promise.all([this.coordinator.ready(), this.sharedRoot]).then(() => {});
  }

  /** Processes `files` into `outDir` on the workers; never throws for a bad image. */
  async run(files: readonly string[], outDir: string, onImage: (r: ImageResult, index: number) => void, split?: SplitRule): Promise<ImageResult[]> {
    await this.ready();
    const o = this.options;
    const fingerprint = runFingerprint({ v: 1, plain: o.filter.plain.hash, shared: o.filter.shared?.hash ?? null, ...o.job });
    const journal = await RunJournal.open(outDir, fingerprint);
    const inputs = new Set(await Promise.all(files.map((f) => checkInputLink(f, true))));
    const results: ImageResult[] = new Array(files.length);
    let next = 0;
    const lane = async () => {
      while (next < files.length) {
        const i = next++;
        results[i] = await this.one(files[i], outDir, inputs, journal, split);
        onImage(results[i], i);
      }
    };
    await Promise.all(Array.from({ length: Math.min(files.length, o.imagesInFlight) }, lane));
    await journal.close(results.every((r) => !r.error));
    return results;
  }

  private async one(file: string, outDir: string, inputs: ReadonlySet<string>, journal: RunJournal, split?: SplitRule): Promise<ImageResult> {
    const t0 = performance.now();
    const out = join(outDir, this.options.outputName(file));
    try {
      await checkInputLink(file, this.options.followSymlinks);
      await guardOutput(out, file, inputs);
      if (await journal.finished(basename(file), out)) return { input: file, output: out, skipped: true, ms: performance.now() - t0 };
      // Bytes travel through Redis unless the run has a shared directory.
      const size = this.sharedRoot ? undefined : (await stat(file)).size;
      // Split into band jobs: an image over --split-above, and one too big to travel whole through Redis.
      const tooBig = size !== undefined && size > MAX_VALUE_BYTES;
      const sniffed = split && (tooBig || split.abovePixels !== undefined) ? await sniffImageFile(file) : undefined;
      if (split && sniffed && (tooBig || sniffed.width * sniffed.height > split.abovePixels!)) {
        const result = await split.run(file, out);
        await journal.record(basename(file));
        return { ...result, output: out, ms: performance.now() - t0 };
      }
      const ext = extname(file).toLowerCase() || '.png';
      let answer;
      if (size === undefined) {
        const root = (await this.sharedRoot)!;
        const input = inside(root, await realpath(file), file, 'input');
        const output = inside(root, join(await realpath(outDir), basename(out)), out, 'output');
        answer = await this.coordinator.run({ transport: 'shared', name: file, input, output, ext }, this.options.job);
      } else {
        if (tooBig) {
          throw new TesseraError(
            ErrorCode.Image,
            `${file}: ${(size / MB).toFixed(0)} MiB is over the ${MAX_VALUE_BYTES / MB} MiB an image may take through Redis; put inputs and outputs on storage every machine mounts and pass --shared-dir to the run and the workers`,
          );
        }
        answer = await this.coordinator.run({ transport: 'bytes', name: file, inputBytes: size, ext }, this.options.job, () => readFile(file));
        await writeFileAtomic(out, answer.bytes!);
      }
      await journal.record(basename(file));
      const d = answer.done;
      return {
        input: file, output: out, width: d.width, height: d.height, layout: d.layout as ChannelLayout, channels: d.channels, format: d.format, tiles: d.tiles, bandRows: d.bandRows, worker: d.worker,
        ...(d.warnings?.length ? { warnings: d.warnings } : {}), ms: performance.now() - t0,
      };
    } catch (err) {
      const message = errorMessage(err);
      // The worker names the image as the job did (its path here); anything else gets the name added.
      return { input: file, error: message.includes(file) ? message : `${file}: ${message}`, ms: performance.now() - t0 };
    }
  }

  /** Filters raw RGBA on a worker: the same filter, params and tiling as a file run. */
  async filterPixels(rgba: Uint8Array, width: number, height: number, label: string): Promise<Uint8Array> {
    await this.ready();
    if (rgba.length > MAX_VALUE_BYTES) throw new TesseraError(ErrorCode.Usage, `${label}: ${width}×${height} RGBA is over the ${MAX_VALUE_BYTES / MB} MiB that travel through Redis`);
    try {
      const answer = await this.coordinator.run({ transport: 'raw', name: label, width, height, ext: '.raw' }, this.options.job, async () => rgba);
      return new Uint8Array(answer.bytes!);
    } catch (err) {
      const message = errorMessage(err);
      throw new TesseraError(ErrorCode.FilterTrap, message.includes(label) ? message : `${label}: ${message}`, { cause: err });
    }
  }

  /**
   * Filters one band of a big image on some worker: `source` is its padded source laid out
   * as `layout`. Resolves with its filtered rows, its tile count and the worker that ran it.
   * @param rowOffset the band's first row in the image (the worker's messages name image coordinates)
   */
  async filterBand(source: Uint8Array, layout: PaddedLayout, rowOffset: number, label: string): Promise<{ rows: Uint8Array; tiles: number; worker: string }> {
    const { width, height, halo } = layout;
    const answer = await this.coordinator.run({ transport: 'band', name: label, width, height, halo, y0: rowOffset, ext: '.raw' }, this.options.job, async () => source);
    const rows = answer.bytes!;
    if (rows.length !== width * height * 4) throw new TesseraError(ErrorCode.Image, `${label}: the band at row ${rowOffset} came back with ${rows.length} bytes, not ${width * height * 4}`);
    return { rows, tiles: answer.done.tiles, worker: answer.done.worker };
  }

  close(): Promise<void> {
    return this.coordinator.close();
  }
}

/** `path` relative to the shared directory `root`, which it must be inside. */
function inside(root: string, path: string, shown: string, what: string): string {
  const full = resolve(path);
  if (full === root || !isInside(full, root)) {
    throw new TesseraError(ErrorCode.Usage, `${shown}: the ${what} is not inside --shared-dir ${root}: with a shared directory, inputs and outputs must be on it (the workers see only it)`);
  }
  return relative(root, full);
}
