/**
 * Issue 12 under `pipe`: an image's output depends only on that image, the filter and its
 * params — never on the images its long-lived filter process served before. A stateful
 * command form (a frame counter in a global, the previous frame's first byte in memory)
 * must start every image fresh, whether it honours the end-of-image frame (a fresh
 * instance in the running process) or not (a fresh process).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { after, test } from 'node:test';
import { Session, type RunSummary, type SessionOptions } from '../../src/pipeline/session.js';
import type { PipeExecutor } from '../../src/strategies/process/pipe.js';
import { builtinFilterNames } from '../../src/filter/filter-module.js';
import { firstDifference, randomImage, rng } from '../helpers/images.js';
import { decodeRgba, fromRgba } from '../helpers/image-files.js';
import { tempDir } from '../helpers/temp.js';
import { COPY_ROWS_WAT, abiFilterWat, writeWasm } from '../helpers/wat.js';

const tmp = tempDir('tessera-pipe-fresh-');
after(() => tmp.cleanup());

/** Hang guard for one run: far beyond the 2 s a process gets to acknowledge an end-of-image frame. */
const NO_HANG_MS = 60_000;

/** Where the command form keeps its frame in memory (3 pages): header, input pixels, response. */
const HEADER = 64;
const IN = 1024;
const OUT = IN + 65536;

/**
 * A stateful WASI command form that speaks the frame protocol with `onEndOfImage` run on a
 * 0×0 frame. Each output pixel is its input pixel with R = the frames this instance has
 * filtered (a global) and G = the first byte of the previous frame's input (kept in memory),
 * so a fresh instance writes R = 1, G = 0 on its first tile, and any carried state shows.
 */
function statefulCommandWat(onEndOfImage: string, afterTile = ''): string {
  return `(module
  (import "wasi_snapshot_preview1" "fd_read" (func $read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 3 3)
  ;; [0, 16): the iovec and byte count of fd_read/fd_write; 16: the previous frame's first byte;
  ;; 32: the byte a filter process acknowledges with, and 40 its iovec (for a forgery attempt).
  (data (i32.const 32) "F")
  (data (i32.const 40) "\\20\\00\\00\\00\\01\\00\\00\\00")
  (global $frames (mut i32) (i32.const 0))
  (func $readFully (param $ptr i32) (param $len i32) (result i32)
    (local $done i32) (local $n i32)
    (block $end (loop $more
      (br_if $end (i32.ge_u (local.get $done) (local.get $len)))
      (i32.store (i32.const 0) (i32.add (local.get $ptr) (local.get $done)))
      (i32.store (i32.const 4) (i32.sub (local.get $len) (local.get $done)))
      (if (call $read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 8)) (then (call $exit (i32.const 2))))
      (local.set $n (i32.load (i32.const 8)))
      (br_if $end (i32.eqz (local.get $n)))
      (local.set $done (i32.add (local.get $done) (local.get $n)))
      (br $more)))
    (local.get $done))
  (func $writeFully (param $ptr i32) (param $len i32)
    (local $done i32)
    (block $end (loop $more
      (br_if $end (i32.ge_u (local.get $done) (local.get $len)))
      (i32.store (i32.const 0) (i32.add (local.get $ptr) (local.get $done)))
      (i32.store (i32.const 4) (i32.sub (local.get $len) (local.get $done)))
      (if (call $write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)) (then (call $exit (i32.const 2))))
      (local.set $done (i32.add (local.get $done) (i32.load (i32.const 8))))
      (br $more))))
  (func $respondHeader (param $w i32) (param $h i32)
    (i32.store (i32.const ${OUT}) (i32.const 0x314f5354))
    (i32.store (i32.const ${OUT + 4}) (local.get $w))
    (i32.store (i32.const ${OUT + 8}) (local.get $h))
    (i32.store (i32.const ${OUT + 12}) (i32.const 0)))
  (func (export "_start")
    (local $got i32) (local $w i32) (local $h i32) (local $bytes i32) (local $i i32)
    (loop $frames
      (local.set $got (call $readFully (i32.const ${HEADER}) (i32.const 32)))
      (if (i32.eqz (local.get $got)) (then (return)))
      (if (i32.or (i32.ne (local.get $got) (i32.const 32)) (i32.ne (i32.load (i32.const ${HEADER})) (i32.const 0x31525354)))
        (then (call $exit (i32.const 3))))
      (local.set $w (i32.load (i32.const ${HEADER + 4})))
      (local.set $h (i32.load (i32.const ${HEADER + 8})))
      (if (i32.eqz (i32.or (local.get $w) (local.get $h))) (then ${onEndOfImage} (br $frames)))
      (local.set $bytes (i32.shl (i32.mul (local.get $w) (local.get $h)) (i32.const 2)))
      ;; halo 0 (its halo() says so) and at most 64 KiB of pixels
      (if (i32.or (i32.load (i32.const ${HEADER + 12})) (i32.gt_u (local.get $bytes) (i32.const 65536)))
        (then (call $exit (i32.const 3))))
      (if (i32.ne (call $readFully (i32.const ${IN}) (local.get $bytes)) (local.get $bytes)) (then (call $exit (i32.const 3))))
      (global.set $frames (i32.add (global.get $frames) (i32.const 1)))
      (call $respondHeader (local.get $w) (local.get $h))
      (local.set $i (i32.const 0))
      (block $done (loop $px
        (br_if $done (i32.ge_u (local.get $i) (local.get $bytes)))
        (i32.store (i32.add (i32.const ${OUT + 16}) (local.get $i))
          (i32.or (i32.and (i32.load (i32.add (i32.const ${IN}) (local.get $i))) (i32.const 0xffff0000))
            (i32.or (i32.shl (i32.load8_u (i32.const 16)) (i32.const 8)) (i32.and (global.get $frames) (i32.const 255)))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $px)))
      (i32.store8 (i32.const 16) (i32.load8_u (i32.const ${IN})))
      (call $writeFully (i32.const ${OUT}) (i32.add (local.get $bytes) (i32.const 16)))
      ${afterTile}
      (br $frames))))`;
}

/** What each command form does with an end-of-image frame. */
const ON_END_OF_IMAGE = {
  /** The protocol: exit 75, "start me fresh". */
  honours: '(call $exit (i32.const 75))',
  /** Ignores it and reads on, after trying to forge the acknowledgement on fd 3 (WASI has no fd 3 here). */
  'reads on past it, after writing a forged acknowledgement to fd 3': '(drop (call $write (i32.const 3) (i32.const 40) (i32.const 1) (i32.const 8)))',
  /** Takes it for an empty tile and answers it: output nobody asked for. */
  'answers it as an empty tile': '(call $respondHeader (i32.const 0) (i32.const 0)) (call $writeFully (i32.const ' + OUT + ') (i32.const 16))',
  /** Takes it for a malformed frame and exits 3, as command forms built before the frame existed do. */
  'exits 3 as on a malformed frame': '(call $exit (i32.const 3))',
} as const;
type Behaviour = keyof typeof ON_END_OF_IMAGE;

/** Writes `name.wasm` (an identity ABI module, halo 0) and its stateful command form `name.wasi.wasm`; returns the .wasm. */
function statefulFilter(name: string, behaviour: Behaviour, afterTile = ''): string {
  const dir = join(tmp.dir, 'filters');
  mkdirSync(dir, { recursive: true });
  writeWasm(dir, `${name}.wasi`, statefulCommandWat(ON_END_OF_IMAGE[behaviour], afterTile));
  return writeWasm(dir, name, abiFilterWat(COPY_ROWS_WAT));
}

/** `count` opaque random PNGs of `width`×`height` up to (at least `min`), seeded; returns their paths. */
async function writeImages(dir: string, count: number, seed: number, max: [number, number], min: [number, number] = [1, 1]): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const next = rng(seed);
  const files: string[] = [];
  for (let i = 0; i < count; i++) {
    const width = min[0] + Math.floor(next() * (max[0] - min[0] + 1));
    const height = min[1] + Math.floor(next() * (max[1] - min[1] + 1));
    const file = join(dir, `img-${i}.png`);
    await fromRgba(randomImage(width, height, next, true), width, height).png().toFile(file);
    files.push(file);
  }
  return files;
}

function withDeadline<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: still running after ${NO_HANG_MS} ms`)), NO_HANG_MS);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

/** The pipe executor behind a session (loaded on demand by its DeferredExecutor). */
function pipeExecutor(session: Session): Promise<PipeExecutor> {
  return (session as unknown as { executor: { loading: Promise<PipeExecutor> } }).executor.loading;
}

/** Pids of this process's children running the filter-process script (Linux /proc; elsewhere none are seen). */
function filterProcesses(): number[] {
  if (!existsSync('/proc/self/stat')) return [];
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === process.pid && readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes('wasi-process.js')) pids.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}

interface Run {
  summary: RunSummary;
  outputs: Map<string, { data: Uint8Array; width: number; height: number }>;
  stats: PipeExecutor['stats'];
  ms: number;
}

/**
 * Runs `files` in one session and returns every output written, decoded, the pipe executor's
 * counts and the time taken; checks that every image succeeded (unless `mayFail`) and that no
 * filter process outlives the session.
 */
async function runSession(options: SessionOptions, files: string[], outDir: string, mayFail = false): Promise<Run> {
  mkdirSync(outDir, { recursive: true });
  const started = performance.now();
  const session = new Session(options);
  let stats: PipeExecutor['stats'] | undefined;
  let summary: RunSummary;
  try {
    summary = await withDeadline(session.run(files, outDir), `${outDir}`);
    if (!mayFail) assert.equal(summary.failed, 0, JSON.stringify(summary.results.map((r) => r.error).filter(Boolean)));
    if (options.strategy === 'pipe') stats = { ...(await pipeExecutor(session)).stats };
  } finally {
    await withDeadline(session.close(), `closing ${outDir}`);
  }
  const ms = performance.now() - started;
  assert.deepEqual(filterProcesses(), [], 'no filter process left running after the session closed');
  const outputs = new Map<string, { data: Uint8Array; width: number; height: number }>();
  for (const result of summary.results) {
    if (result.output) outputs.set(basename(result.input), await decodeRgba(result.output));
  }
  return { summary, outputs, stats: stats ?? { processes: 0, endOfImageFrames: 0, replacedForImage: 0 }, ms };
}

/** Each image's output when it is the only image of its session: what it must be in any run. */
async function alone(options: SessionOptions, files: string[], outDir: string): Promise<Run['outputs']> {
  const outputs: Run['outputs'] = new Map();
  for (const [i, file] of files.entries()) {
    for (const [name, out] of (await runSession(options, [file], join(outDir, String(i)))).outputs) outputs.set(name, out);
  }
  return outputs;
}

function assertSameOutputs(actual: Run['outputs'], expected: Run['outputs'], what: string): void {
  assert.equal(actual.size, expected.size);
  for (const [name, exp] of expected) {
    const got = actual.get(name)!;
    assert.equal(`${got.width}×${got.height}`, `${exp.width}×${exp.height}`, `${what} ${name}`);
    const diff = firstDifference(got.data, exp.data, exp.width);
    assert.equal(diff, undefined, `${what} ${name}: ${diff}`);
  }
}

/** Every pixel of every output has R = 1 and G = 0: each (one-tile) image met an instance that had filtered nothing. */
function assertFirstFrameEverywhere(outputs: Run['outputs'], what: string): void {
  for (const [name, { data, width }] of outputs) {
    for (let i = 0; i < data.length; i += 4) {
      if (data[i] !== 1 || data[i + 1] !== 0) {
        assert.fail(`${what} ${name}: pixel (${(i >> 2) % width}, ${Math.floor((i >> 2) / width)}) has R=${data[i]} G=${data[i + 1]}: the filter state of another image (R=1 G=0 when fresh)`);
      }
    }
  }
}

test('pipe: a stateful command form that honours end-of-image frames starts every image fresh in its running process', async () => {
  const filter = statefulFilter('honours', 'honours');
  // Images of one tile, two processes: whichever process an image lands on, and after however many
  // others, its tile must meet a fresh instance.
  const single = await writeImages(join(tmp.dir, 'single-in'), 10, 1, [60, 50]);
  const options: SessionOptions = { filter, strategy: 'pipe', workers: 2, tileSize: 64 };
  const run = await runSession(options, single, join(tmp.dir, 'single-out'));
  assertFirstFrameEverywhere(run.outputs, 'one tile per image');
  assertSameOutputs(run.outputs, await alone(options, single, join(tmp.dir, 'single-alone')), 'one tile per image, vs alone');
  assert.equal(run.stats.processes, 2, `fresh instances, not fresh processes: ${JSON.stringify(run.stats)}`);
  assert.equal(run.stats.replacedForImage, 0);
  assert.ok(run.stats.endOfImageFrames >= single.length - 2, `every change of image sent an end-of-image frame: ${JSON.stringify(run.stats)}`);

  // Images of 6 tiles (48×32 in 16-pixel tiles), one process, several images in flight: the counter
  // runs 1..6 over each image's tiles as it does when the image is alone, never on into the next.
  const multi = await writeImages(join(tmp.dir, 'multi-in'), 5, 2, [48, 32], [33, 17]);
  const multiOptions: SessionOptions = { filter, strategy: 'pipe', workers: 1, tileSize: 16 };
  const multiRun = await runSession(multiOptions, multi, join(tmp.dir, 'multi-out'));
  for (const [name, { data }] of multiRun.outputs) {
    let maxR = 0;
    for (let i = 0; i < data.length; i += 4) maxR = Math.max(maxR, data[i]);
    assert.equal(maxR, 6, `${name}: the frame counter reached ${maxR} on an image of 6 tiles`);
  }
  assertSameOutputs(multiRun.outputs, await alone(multiOptions, multi, join(tmp.dir, 'multi-alone')), 'six tiles per image, vs alone');
  assert.equal(multiRun.stats.processes, 1, JSON.stringify(multiRun.stats));
  assert.equal(multiRun.stats.endOfImageFrames, multi.length - 1, `one end-of-image frame per change of image: ${JSON.stringify(multiRun.stats)}`);
});

for (const behaviour of ['reads on past it, after writing a forged acknowledgement to fd 3', 'answers it as an empty tile', 'exits 3 as on a malformed frame'] as const) {
  test(`pipe: a stateful command form that ignores end-of-image frames (${behaviour}) still gives every image fresh state — a fresh process — in bounded time, with no error`, async () => {
    const name = behaviour.split(' ')[0];
    const filter = statefulFilter(name, behaviour);
    const files = await writeImages(join(tmp.dir, `${name}-in`), 10, 3, [60, 50]);
    const options: SessionOptions = { filter, strategy: 'pipe', workers: 2, tileSize: 64 };
    const run = await runSession(options, files, join(tmp.dir, `${name}-out`));
    assertFirstFrameEverywhere(run.outputs, behaviour);
    assertSameOutputs(run.outputs, await alone(options, files, join(tmp.dir, `${name}-alone`)), `${behaviour}, vs alone`);
    // Each process is asked at most once (both may be asked at the same moment): then the executor
    // knows, and later images get fresh processes without a wait.
    assert.ok(run.stats.endOfImageFrames >= 1 && run.stats.endOfImageFrames <= 2, JSON.stringify(run.stats));
    assert.ok(run.stats.replacedForImage >= 1, `later images got fresh processes directly: ${JSON.stringify(run.stats)}`);
    // At most two 2 s waits, overlapping, plus a process start per image: far below one wait per image (20 s).
    assert.ok(run.ms < 15_000, `took ${Math.round(run.ms)} ms`);
  });
}

test('pipe: a command form that exits 75 unasked is not restarted on its own say-so: the tile sent to it fails at the deadline, every image written is fresh, nothing hangs', async () => {
  // Exits "start me fresh" after every tile, as if it had read an end-of-image frame. Its filter
  // process then waits on fd 3 for a request nobody made: the next image's request is answered at
  // once, by the host, but the fresh instance it starts exits at that image's end-of-image frame and
  // leaves the tile after it unread.
  const filter = statefulFilter('unasked', 'honours', '(call $exit (i32.const 75))');
  const files = await writeImages(join(tmp.dir, 'unasked-in'), 4, 5, [60, 50]);
  const run = await runSession({ filter, strategy: 'pipe', workers: 1, tileSize: 64, tileTimeoutMs: 1000 }, files, join(tmp.dir, 'unasked-out'), true);
  assertFirstFrameEverywhere(run.outputs, 'exits 75 unasked');
  assert.ok(run.summary.failed >= 1, 'a tile sent after an unasked exit cannot be answered');
  for (const r of run.summary.results.filter((r) => r.error)) assert.match(r.error!, /exceeded the 1000 ms tile deadline/);
});

test('pipe: the built-in filters write what copy writes over a multi-image run, with fresh instances between images', async () => {
  const files = await writeImages(join(tmp.dir, 'builtin-in'), 6, 4, [70, 50], [10, 10]);
  for (const name of builtinFilterNames()) {
    const base: SessionOptions = { filter: name, workers: 2, tileSize: 16 };
    const pipe = await runSession({ ...base, strategy: 'pipe' }, files, join(tmp.dir, `builtin-${name}-pipe`));
    const copy = await runSession({ ...base, strategy: 'copy' }, files, join(tmp.dir, `builtin-${name}-copy`));
    assertSameOutputs(pipe.outputs, copy.outputs, `${name}: pipe vs copy`);
    assert.equal(pipe.stats.processes, 2, `${name}: ${JSON.stringify(pipe.stats)}`);
    assert.equal(pipe.stats.replacedForImage, 0, `${name}: the built-in command forms honour end-of-image frames`);
    assert.ok(pipe.stats.endOfImageFrames >= 1, `${name}: ${JSON.stringify(pipe.stats)}`);
  }
});
