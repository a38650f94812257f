/**
 * Reading rows of an RGBA8 libvips `.v` file while libvips is still writing it. A `.v`
 * file is a 64-byte header followed by the pixels, rows packed, written front to back
 * (then an XML trailer), so rows can be read at known offsets as soon as the file is
 * long enough: the band loop filters the top of a big image while the bottom decodes.
 *
 * Rows are read with `pread` straight into the filter's memory; the file is never
 * mapped, so its pages stay in the page cache and out of this process's RSS (libvips
 * maps a `.v` it reads whole, which is why the output side is a TIFF instead).
 */
import { open, type FileHandle } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

/** Bytes of a `.v` header. */
export const VIPS_HEADER_BYTES = 64;
/** A `.v` file's first four bytes, as written by a little-endian machine. */
const VIPS_MAGIC_LE = [0xb6, 0xa6, 0xf2, 0x08];
/** libvips' band format of 8-bit unsigned samples, and its "no coding". */
const FORMAT_UCHAR = 0;
const CODING_NONE = 0;
/** How often the file's length is checked while waiting for rows, in ms. */
const POLL_MS = 2;
/** Most rows read in one `readv` (the kernel takes at most 1024 buffers a call). */
const ROWS_PER_READ = 512;

/** The parts of `buffers` after their first `skip` bytes. */
function remainder(buffers: readonly Uint8Array[], skip: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const b of buffers) {
    if (skip >= b.length) {
      skip -= b.length;
      continue;
    }
    out.push(skip > 0 ? b.subarray(skip) : b);
    skip = 0;
  }
  return out;
}

/** What became of the decode writing the file, seen without awaiting it. */
interface WriterState {
  state: 'running' | 'done' | 'failed';
  error?: unknown;
}

function watch(writer: Promise<void>): WriterState {
  const w: WriterState = { state: 'running' };
  writer.then(
    () => (w.state = 'done'),
    (err: unknown) => Object.assign(w, { state: 'failed', error: err }),
  );
  return w;
}

/** Rows of a `.v` file being written by a decode. */
export class VipsRowReader {
  private length = 0;

  private constructor(
    private readonly handle: FileHandle,
    readonly width: number,
    readonly height: number,
    private readonly path: string,
    private readonly writer: WriterState,
  ) {}

  /**
   * Opens the `.v` file at `path` once libvips has written its header, and checks it is
   * `width`×`height` RGBA8.
   * @param writer the decode writing the file: its failure is every waiting read's failure
   */
  static async open(path: string, width: number, height: number, writer: Promise<void>): Promise<VipsRowReader> {
    const state = watch(writer);
    let handle: FileHandle | undefined;
    while (!handle) {
      try {
        handle = await open(path, 'r');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        if (state.state === 'failed') throw state.error;
        if (state.state === 'done') throw new Error(`the decoder finished without writing ${path}`);
        await sleep(POLL_MS);
      }
    }
    const reader = new VipsRowReader(handle, width, height, path, state);
    try {
      await reader.waitFor(VIPS_HEADER_BYTES);
      const head = new Uint8Array(VIPS_HEADER_BYTES);
      await handle.read(head, 0, VIPS_HEADER_BYTES, 0);
      reader.checkHeader(new DataView(head.buffer));
    } catch (err) {
      await handle.close();
      throw err;
    }
    return reader;
  }

  private checkHeader(view: DataView): void {
    if (!VIPS_MAGIC_LE.every((b, i) => view.getUint8(i) === b)) throw new Error(`${this.path} is not a little-endian .v file`);
    const w = view.getInt32(4, true);
    const h = view.getInt32(8, true);
    const bands = view.getInt32(12, true);
    const format = view.getInt32(20, true);
    const coding = view.getInt32(24, true);
    if (w !== this.width || h !== this.height) throw new Error(`decoded to ${w}×${h}, but the header said ${this.width}×${this.height}`);
    if (bands !== 4 || format !== FORMAT_UCHAR || coding !== CODING_NONE) {
      throw new Error(`decoded to ${bands} bands of format ${format} (coding ${coding}), expected 4 bands of 8-bit samples`);
    }
  }

  /** Waits until the file holds `bytes` bytes; fails with the decode's error if it fails first. */
  private async waitFor(bytes: number): Promise<void> {
    while (this.length < bytes) {
      const { state, error } = this.writer; // read before the length: a decode done after it has written every row
      this.length = (await this.handle.stat()).size;
      if (this.length >= bytes) return;
      if (state === 'failed') throw error;
      if (state === 'done') throw new Error(`the decoded file ends after ${this.length} bytes; ${bytes} expected`);
      await sleep(POLL_MS);
    }
  }

  /**
   * Reads `rows` image rows from row `first` into `targets`, in order: either one
   * buffer per row (width·4 bytes each) or one buffer holding them all, packed. Waits
   * for the decoder to write them.
   */
  async readRows(first: number, targets: readonly Uint8Array[], rows: number): Promise<void> {
    const rowBytes = this.width * 4;
    const start = VIPS_HEADER_BYTES + first * rowBytes;
    await this.waitFor(start + rows * rowBytes);
    const perRow = targets.length === rows ? rowBytes : rows * rowBytes;
    const perCall = targets.length === rows ? ROWS_PER_READ : 1;
    for (let i = 0; i < targets.length; i += perCall) {
      const chunk = targets.slice(i, i + perCall);
      const position = start + i * perRow;
      const want = chunk.length * perRow;
      let done = 0;
      while (done < want) {
        // readv fills the buffers in order; a short read (rare: signals, huge requests) continues where it stopped.
        const rest = done === 0 ? chunk : remainder(chunk, done);
        const { bytesRead } = await this.handle.readv(rest, position + done);
        if (bytesRead === 0) throw new Error(`${this.path} ends at ${position + done}; ${position + want} bytes expected`);
        done += bytesRead;
      }
    }
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}
