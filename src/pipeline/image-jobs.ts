/**
 * One input file through the pipeline, in one of two ways decided from its header:
 * whole (decoded into memory, filtered, encoded from memory: the fast path for ordinary
 * photos) or streamed (decoded by libvips into a temporary `.v` file, filtered band by
 * band as its rows land, each band written into a temporary TIFF at its offset, and the
 * TIFF encoded by libvips): memory stays a few bands whatever the image's size.
 */
import { unlink } from 'node:fs/promises';
import { ErrorCode, TesseraError, errorMessage } from '../errors.js';
import { decodePixels, decodeToVipsFile, type ImageHeader } from '../io/decode.js';
import { encodeFromFile, encodeImage, encodeImageToBuffer, outputLayout, prepareForEncode, type ChannelLayout, type EncodeTarget } from '../io/encode.js';
import { combineGray, grayStatus, type GrayStatus } from '../io/gray-pack.js';
import { describeDiskError, type RunTemp } from '../io/run-temp.js';
import type { TiffStripWriter } from '../io/tiff-strips.js';
import type { VipsRowReader } from '../io/vips-rows.js';
import { runBands } from './band-loop.js';
import { rowsFromMemory, rowsFromVipsFile } from './band-sources.js';
import type { ImagePlan } from './image-plan.js';
import type { MemoryBudget } from './memory-budget.js';
import type { RegionContext } from './region-filter.js';
import type { StageTimes } from './stages.js';

/** What an image job needs from its session. */
export interface JobContext extends RegionContext {
  halo: number;
  maxPixels: number;
  budget: MemoryBudget;
}

/** What became of an image that went through. */
export interface JobOutcome {
  layout: ChannelLayout;
  tiles: number;
}

/** Called with a whole image's filtered RGBA before it is encoded (streamed images are never whole). */
export type PixelsHook = (input: string, rgba: Uint8Array, width: number, height: number) => void;

/** An image's encoded input held in memory, and its output to be handed back in memory, instead of files (a queue worker's job). */
export interface InMemory {
  /** The input file's bytes (`file` then only names the image). */
  input: Uint8Array;
  /** Set to the encoded output. */
  output?: Buffer;
}

/**
 * Decodes, filters and encodes an image that fits in memory, holding its bytes of the
 * budget throughout: from `file` to `out`, or with `memory` from its input bytes to its output bytes.
 */
export async function processWhole(
  ctx: JobContext, file: string, header: ImageHeader, plan: Extract<ImagePlan, { mode: 'whole' }>, out: string, target: EncodeTarget, stages: StageTimes, onPixels?: PixelsHook, memory?: InMemory,
): Promise<JobOutcome> {
  const { width, height } = header;
  const lease = await ctx.budget.acquire(plan.bytes);
  try {
    const t0 = performance.now();
    const image = await decodePixels(file, header, ctx.maxPixels, memory?.input);
    stages.decodeMs += performance.now() - t0;
    if (header.animation) return await filterFrames(ctx, file, header, image.data, out, target, stages, memory);
    let layout: ChannelLayout = 'rgba';
    const tiles = await runBands(
      ctx,
      { width, height, halo: ctx.halo, bandRows: height, depth: 1, bandBytes: 0, label: file, opaque: !header.hasAlpha },
      rowsFromMemory(image.data, width),
      async (_band, rgba) => {
        onPixels?.(file, rgba, width, height);
        const t1 = performance.now();
        const encodable = prepareForEncode(rgba, header.hasAlpha);
        if (memory) memory.output = await encodeImageToBuffer(encodable, width, height, target, file);
        else await encodeImage(encodable, width, height, target, out);
        layout = encodable.layout;
        stages.encodeMs += performance.now() - t1;
      },
      stages,
    );
    return { layout, tiles };
  } finally {
    lease.release();
  }
}

/**
 * An animation, frame by frame: each frame is an image of its own for the filter (its borders
 * clamped, so no halo reaches into the frame above or below), the filtered frames stacked
 * again and encoded with the input's timing. Errors name the frame.
 */
async function filterFrames(
  ctx: JobContext, file: string, header: ImageHeader, frames: Uint8Array, out: string, target: EncodeTarget, stages: StageTimes, memory?: InMemory,
): Promise<JobOutcome> {
  const { width, height } = header;
  const count = header.animation!.frames;
  const frameBytes = width * height * 4;
  const filtered = new Uint8Array(frameBytes * count);
  let tiles = 0;
  for (let f = 0; f < count; f++) {
    const n = await runBands(
      ctx,
      { width, height, halo: ctx.halo, bandRows: height, depth: 1, bandBytes: 0, label: `${file} (frame ${f + 1} of ${count})`, opaque: !header.hasAlpha },
      rowsFromMemory(frames.subarray(f * frameBytes, (f + 1) * frameBytes), width),
      (_band, rgba) => filtered.set(rgba, f * frameBytes),
      stages,
    );
    tiles += n;
  }
  const t1 = performance.now();
  // Frames stay RGBA (or RGB): a gray layout would need every frame gray, for little gain on a short animation.
  const layout: ChannelLayout = header.hasAlpha ? 'rgba' : 'rgb';
  const encodable = { layout, pixels: filtered, rgba: filtered };
  if (memory) memory.output = await encodeImageToBuffer(encodable, width, height * count, target, file);
  else await encodeImage(encodable, width, height * count, target, out);
  stages.encodeMs += performance.now() - t1;
  return { layout, tiles };
}

/** Temporary disk a streamed image needs: its decoded rows and its filtered strips, RGBA8 each, plus headers. */
function streamDiskBytes(header: ImageHeader): number {
  return 2 * header.width * header.height * 4 + 2 ** 20;
}

/** Streams an image in bands through two temporary files in `temp`, taking each band's bytes of the budget. */
export async function processStreamed(
  ctx: JobContext, file: string, header: ImageHeader, plan: Extract<ImagePlan, { mode: 'bands' }>, out: string, target: EncodeTarget, stages: StageTimes, temp: RunTemp,
  onBand?: (done: number, total: number) => void,
): Promise<JobOutcome> {
  const { width, height } = header;
  // Loaded by the first image that streams: a folder of photos never needs them.
  const [{ TiffStripWriter: Writer }, { VipsRowReader: Reader }] = await Promise.all([import('../io/tiff-strips.js'), import('../io/vips-rows.js')]);
  const decodedPath = await temp.path('decoded.v');
  const filteredPath = await temp.path('filtered.tif');
  await temp.ensureSpace(streamDiskBytes(header), file);
  const t0 = performance.now();
  const decoding = decodeToVipsFile(file, header, ctx.maxPixels, decodedPath);
  decoding.then(() => (stages.decodeMs += performance.now() - t0), () => {});
  let reader: VipsRowReader | undefined;
  let writer: TiffStripWriter | undefined;
  try {
    reader = await Reader.open(decodedPath, width, height, decoding);
    writer = await Writer.create(filteredPath, width, height, plan.bandRows);
    const strips = writer;
    let gray: GrayStatus = 'gray-opaque';
    const tiles = await runBands(
      ctx,
      { width, height, halo: ctx.halo, bandRows: plan.bandRows, depth: plan.depth, budget: ctx.budget, bandBytes: plan.bandBytes, label: file, onBand, opaque: !header.hasAlpha },
      rowsFromVipsFile(reader),
      async (band, rgba) => {
        // Once a band has colour the image is colour: the rest need no gray check.
        const t = performance.now();
        if (gray !== 'color') gray = combineGray(gray, grayStatus(rgba));
        await strips.writeRows(band.y0, rgba);
        stages.assembleMs += performance.now() - t;
      },
      stages,
    );
    await decoding;
    await writer.close();
    writer = undefined;
    const t1 = performance.now();
    const layout = outputLayout(gray, header.hasAlpha);
    await encodeFromFile(filteredPath, layout, target, out);
    stages.encodeMs += performance.now() - t1;
    return { layout, tiles };
  } catch (err) {
    if (err instanceof TesseraError) throw err;
    throw describeDiskError(err, file) ?? new TesseraError(ErrorCode.Image, `${file}: ${errorMessage(err)}`, { cause: err });
  } finally {
    await reader?.close();
    await writer?.close();
    // libvips may still be writing the decoded file (a band failed early): let it finish before removing it.
    await decoding.catch(() => {});
    await Promise.all([unlink(decodedPath).catch(() => {}), unlink(filteredPath).catch(() => {})]);
  }
}
