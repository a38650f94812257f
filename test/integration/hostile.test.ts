/**
 * Hostile inputs and hostile filters: every failure stays with its file or tile, is
 * reported clearly, and leaves every other result intact; nothing crashes or hangs.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import { PAGE } from '../../src/filter/abi.js';
import { Session } from '../../src/pipeline/session.js';
import type { StrategyName } from '../../src/strategies/types.js';
import { loadFilter } from '../../src/filter/filter-module.js';
import { randomImage, rng } from '../helpers/images.js';
import { fromRgba, writeRandomPng } from '../helpers/image-files.js';
import { buildFilter, runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp.js';
import { COPY_ROWS_WAT, abiFilterWat, writeWasm, type AbiFilterOptions } from '../helpers/wat.js';

const tmp = tempDir('tessera-hostile-');
after(() => tmp.cleanup());

/** An ABI v1 module importing a shared memory (so it runs under copy and shared) with `body` as its filter. */
const filterWasm = (name: string, body: string, options: AbiFilterOptions = {}): string => writeWasm(tmp.dir, name, abiFilterWat(body, options));

/** Hang guard for a run whose filter loops forever: far beyond its tile deadlines, it only tells a stuck run from a finished one. */
const NO_HANG_MS = 30_000;

function crc32(buf: Uint8Array): number {
  let crc = 0xffffffff;
  for (const b of buf) {
    crc ^= b;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? 0xedb88320 ^ (crc >>> 1) : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

describe('bad images', () => {
  const input = join(tmp.dir, 'images');
  const good: string[] = [];
  const bad: Array<[string, RegExp]> = [];
  before(async () => {
    mkdirSync(input);
    const next = rng(5);
    const rgba = randomImage(40, 30, next);
    const raw = () => fromRgba(rgba, 40, 30);
    const png = await raw().removeAlpha().png().toBuffer();
    const write = (name: string, bytes: Uint8Array | string) => writeFileSync(join(input, name), bytes);
    // Good, in every layout and format the issue lists.
    write('rgb.png', png);
    await raw().png().toFile(join(input, 'rgba.png'));
    await raw().extractChannel(0).png().toFile(join(input, 'gray.png'));
    await raw().extractChannel(0).joinChannel(Buffer.alloc(40 * 30, 128), { raw: { width: 40, height: 30, channels: 1 } }).png().toFile(join(input, 'gray-alpha.png'));
    await raw().removeAlpha().png({ palette: true, colours: 16 }).toFile(join(input, 'palette.png'));
    await raw().removeAlpha().toColourspace('rgb16').png().toFile(join(input, 'sixteen-bit.png'));
    await sharp({ create: { width: 1, height: 1, channels: 3, background: { r: 9, g: 99, b: 199 } } }).png().toFile(join(input, 'one-pixel.png'));
    await raw().removeAlpha().jpeg().toFile(join(input, 'photo.jpg'));
    await raw().webp().toFile(join(input, 'photo.webp'));
    good.push('rgb.png', 'rgba.png', 'gray.png', 'gray-alpha.png', 'palette.png', 'sixteen-bit.png', 'one-pixel.png', 'photo.jpg', 'photo.webp');
    // Bad.
    write('empty.png', '');
    bad.push(['empty.png', /empty \(0 bytes\)/]);
    write('truncated.png', png.subarray(0, png.length >> 1));
    bad.push(['truncated.png', /corrupt or truncated/]);
    write('random.png', new Uint8Array(4096).map(() => Math.floor(next() * 256)));
    bad.push(['random.png', /not a readable image/]);
    const badCrc = Buffer.from(png);
    badCrc[40] ^= 0xff; // inside the first IDAT
    write('bad-crc.png', badCrc);
    bad.push(['bad-crc.png', /corrupt or truncated data/]);
    const bomb = Buffer.from(png);
    bomb.writeUInt32BE(200_000, 16);
    bomb.writeUInt32BE(200_000, 20);
    bomb.writeUInt32BE(crc32(bomb.subarray(12, 29)), 29);
    write('bomb.png', bomb);
    bad.push(['bomb.png', /declares 200000×200000 = 40,000,000,000 pixels \(40000\.0 Mpx\), over the limit of 1,073,741,824 pixels .*refused before decoding/]);
    // Just past the default limit (2³⁰ = 32768²): the message must read right there too.
    const atLimit = Buffer.from(png);
    atLimit.writeUInt32BE(32_769, 16);
    atLimit.writeUInt32BE(32_768, 20);
    atLimit.writeUInt32BE(crc32(atLimit.subarray(12, 29)), 29);
    write('at-limit.png', atLimit);
    bad.push(['at-limit.png', /declares 32769×32768 = 1,073,774,592 pixels \(1073\.8 Mpx\), over the limit of 1,073,741,824 pixels \(1073\.7 Mpx\) \(--max-pixels\)/]);
    mkdirSync(join(input, 'folder.png'));
    bad.push(['folder.png', /is a directory, not an image/]);
    symlinkSync(join(tmp.dir, 'nowhere.png'), join(input, 'dangling.png'));
    bad.push(['dangling.png', /is a symbolic link \(to .*nowhere\.png\); tessera reads links only with --follow-symlinks/]);
    if (process.getuid?.() !== 0) {
      write('locked.png', png);
      chmodSync(join(input, 'locked.png'), 0);
      bad.push(['locked.png', /cannot (be read|decode)|not a readable image/]);
    }
  });

  test('each bad file gets one clear line, every good file is written, exit 1, nothing partial, inputs untouched', async () => {
    const before = new Map(readdirSync(input).filter((f) => !f.startsWith('folder') && f !== 'dangling.png' && f !== 'locked.png').map((f) => [f, sha(join(input, f))]));
    const out = join(tmp.dir, 'images-out');
    const r = await runCli(['run', '--filter', 'sobel', '--input', input, '--output', out, '--workers', '2']);
    assert.equal(r.code, 1, r.stderr);
    for (const [name, reason] of bad) {
      const lines = r.stderr.split('\n').filter((l) => l.includes(`${name}:`));
      assert.equal(lines.length, 1, `one line for ${name}:\n${r.stderr}`);
      assert.match(lines[0], reason, name);
    }
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    assert.match(r.stderr, new RegExp(`${good.length}/${good.length + bad.length} images, ${bad.length} failed`));
    assert.deepEqual(readdirSync(out).sort(), [...good].sort(), 'every good image written, nothing else (no temporary files)');
    for (const f of good) {
      const meta = await sharp(join(out, f)).metadata();
      const src = await sharp(join(input, f)).metadata();
      assert.equal(meta.width, src.width);
      assert.equal(meta.format, src.format);
    }
    for (const [f, hash] of before) assert.equal(sha(join(input, f)), hash, `${f} unchanged`);
  });

  test('--max-pixels refuses an image larger than the limit before decoding it', async () => {
    const r = await runCli(['run', '--filter', 'invert', '--input', join(input, 'rgb.png'), '--output', join(tmp.dir, 'limit-out'), '--max-pixels', '1000']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /declares 40×30 = 1,200 pixels, over the limit of 1,000 pixels \(--max-pixels\)/);
  });
});

test('disk strategy: Ctrl-C mid-run removes its temporary tiles and leaves no partial output', async () => {
  const { existsSync } = await import('node:fs');
  const input = join(tmp.dir, 'ctrl-c-in');
  const scratch = join(tmp.dir, 'ctrl-c-tmp');
  mkdirSync(input);
  mkdirSync(scratch);
  for (let i = 0; i < 3; i++) await writeRandomPng(join(input, `p${i}.png`), 300, 200, i);
  const out = join(tmp.dir, 'ctrl-c-out');
  let sawTiles = false;
  const r = await runCli(['run', '--filter', 'invert', '--input', input, '--output', out, '--strategy', 'disk', '--tile', '32', '--workers', '1'], {
    env: { ...process.env, TMPDIR: scratch },
    onSpawn: (child) => {
      const poll = setInterval(() => {
        const dirs = readdirSync(scratch).filter((d) => d.startsWith('tessera-disk-'));
        if (dirs.some((d) => readdirSync(join(scratch, d)).length > 0)) {
          sawTiles = true;
          clearInterval(poll);
          child.kill('SIGINT');
        }
      }, 20);
      child.on('exit', () => clearInterval(poll));
    },
  });
  assert.ok(sawTiles, 'tiles were written before the interrupt');
  assert.ok(r.signal === 'SIGINT' || r.code !== 0, `interrupted (code ${r.code}, signal ${r.signal})`);
  assert.deepEqual(readdirSync(scratch), [], 'temporary tile directory removed');
  const left = existsSync(out) ? readdirSync(out) : [];
  assert.ok(left.every((f) => /^p\d\.png$/.test(f)), `only complete outputs: ${left.join(', ')}`);
});

describe('bad filters', () => {
  const images = join(tmp.dir, 'filter-inputs');
  before(async () => {
    mkdirSync(images);
    // 120 wide: tiles of 50 leave a 20-wide edge tile; 100 wide: every tile is 50.
    await writeRandomPng(join(images, 'a-edge.png'), 120, 60, 1);
    await writeRandomPng(join(images, 'b-even.png'), 100, 50, 2);
  });

  test('refused at load with the reason: not wasm, missing exports, wrong ABI, forbidden imports, oversized halo', async () => {
    const notWasm = join(tmp.dir, 'text.wasm');
    writeFileSync(notWasm, 'not wasm at all');
    const cases: Array<[string, RegExp]> = [
      [notWasm, /not a WebAssembly module/],
      [filterWasm('wrong-abi', '', { abi: 2 }), /tessera_abi\(\) returned 2/],
      [filterWasm('wasi-import', '', { extra: '(import "wasi_snapshot_preview1" "path_open" (func $open (param i32)))' }), /imports wasi_snapshot_preview1\.path_open/],
      [filterWasm('host-import', '', { extra: '(import "host" "now" (func $now (result f64)))' }), /imports host\.now/],
      [writeWasm(tmp.dir, 'no-exports', '(module (memory (export "memory") 1 1))'), /missing exported function "tessera_abi"/],
      [filterWasm('wide-halo', '', { halo: 4096 }), /halo\(\) returned 4096; allowed 0\.\.128/],
    ];
    for (const [file, reason] of cases) {
      const r = await runCli(['run', '--filter', file, '--input', images, '--output', join(tmp.dir, 'never')]);
      assert.equal(r.code, 2, `${file}: ${r.stderr}`);
      assert.match(r.stderr, reason);
      assert.match(r.stderr, new RegExp(file.split('/').pop()!.replace('.', '\\.')));
    }
  });

  const traps: Array<[string, string, string, RegExp]> = [
    ['unreachable', 'unreachable', '', /WebAssembly trap: unreachable/],
    ['out-of-bounds', 'i32.const -16 i32.load drop', '', /WebAssembly trap: memory access out of bounds/],
    ['stack-overflow', 'i32.const 0 call $rec drop', '(func $rec (param i32) (result i32) local.get 0 i32.const 1 i32.add call $rec)', /WebAssembly trap: stack overflow/],
  ];
  for (const strategy of ['copy', 'shared'] as StrategyName[]) {
    for (const workers of [1, 2]) {
      test(`traps name the filter, image and tile (${strategy}, ${workers} worker${workers > 1 ? 's' : ''})`, async () => {
        for (const [name, body, extra, message] of traps) {
          const file = filterWasm(name, body, { extra });
          const r = await runCli(['run', '--filter', file, '--input', images, '--output', join(tmp.dir, `trap-${name}-${strategy}-${workers}`), '--strategy', strategy, '--workers', String(workers), '--tile', '50']);
          assert.equal(r.code, 1, r.stderr);
          assert.match(r.stderr, new RegExp(`a-edge\\.png: filter .*${name}\\.wasm failed on tile \\d+ \\(x=\\d+ y=\\d+ \\d+×\\d+\\): `));
          assert.match(r.stderr, message);
          assert.match(r.stderr, /0\/2 images, 2 failed/);
        }
      });
    }
  }

  for (const strategy of ['copy', 'shared'] as StrategyName[]) {
    test(`an infinite loop is stopped by the tile deadline and the pool carries on (${strategy})`, async () => {
      // Loops forever on narrow tiles only: a-edge.png has a 20-wide tile, b-even.png has none.
      const file = filterWasm('loop-on-edges', 'local.get $w i32.const 50 i32.lt_u if (loop $forever br $forever) end');
      for (const workers of [1, 2]) {
        const out = join(tmp.dir, `loop-${strategy}-${workers}`);
        const r = await runCli(['run', '--filter', file, '--input', images, '--output', out, '--strategy', strategy, '--workers', String(workers), '--tile', '50', '--tile-timeout', '300'], { timeoutMs: NO_HANG_MS });
        assert.equal(r.code, 1, r.stderr);
        assert.match(r.stderr, /a-edge\.png: filter .*loop-on-edges\.wasm failed on tile \d+ .*exceeded the 300 ms tile deadline \(--tile-timeout\); its worker thread was stopped and replaced/);
        assert.deepEqual(readdirSync(out), ['b-even.png'], 'the other image still completes');
      }
    });
  }

  test('a thread that is slow to start does not eat into its tiles\' deadline', async () => {
    // The start function spins for ~1 s at every instantiation (so each new thread, and each
    // image's fresh instance, takes that long to be ready); the tiles themselves take
    // microseconds. A deadline counted from the hand-off (150 ms) would fail them; counted
    // from when the thread starts the batch, it holds. (Plain memory and `copy`: a shared-memory
    // form may not have a start function at all.)
    const nap = `(func $nap (local $i i32) (local.set $i (i32.const 1000000000))
      (block $d (loop $l (br_if $d (i32.eqz (local.get $i))) (local.set $i (i32.sub (local.get $i) (i32.const 1))) (br $l)))) (start $nap)`;
    const file = filterWasm('slow-start', COPY_ROWS_WAT, { extra: nap, shared: false });
    const session = new Session({ filter: file, strategy: 'copy', workers: 2, tileSize: 50, tileTimeoutMs: 150 });
    try {
      const rgba = randomImage(100, 50, rng(8));
      assert.deepEqual(await session.filterPixels(rgba, 100, 50, 'slow-start'), rgba);
    } finally {
      await session.close();
    }
  });

  test('an infinite loop in a filter process is killed at the deadline (pipe)', async () => {
    const built = join(tmp.dir, 'loop-pipe');
    mkdirSync(built);
    const src = join(built, 'spin.ts');
    writeFileSync(src, `export function tessera_abi(): i32 { return 1; }
export function halo(a: i32, b: i32, c: i32, d: i32): i32 { return 0; }
export function scratch_size(w: i32, h: i32, a: i32, b: i32, c: i32, d: i32): i32 { return 0; }
export function filter(src: usize, ss: i32, dst: usize, ds: i32, w: i32, h: i32, s: usize, a: i32, b: i32, c: i32, d: i32): void {
  if (w < 50) { while (true) { memory.size(); } }
}`);
    writeFileSync(join(built, 'spin.json'), JSON.stringify({ name: 'spin', params: [] }));
    buildFilter(src, built);
    const out = join(tmp.dir, 'loop-pipe-out');
    const r = await runCli(['run', '--filter', join(built, 'spin.wasm'), '--input', images, '--output', out, '--strategy', 'pipe', '--tile', '50', '--tile-timeout', '500'], { timeoutMs: NO_HANG_MS });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /a-edge\.png: .*exceeded the 500 ms tile deadline \(--tile-timeout\); its filter process was killed and replaced/);
    assert.deepEqual(readdirSync(out), ['b-even.png']);
  });

  test('a memory bomb is capped by --filter-memory', async () => {
    // Grows memory one page at a time, touching each page, until growth fails; then
    // writes the size its memory reached (in pages) into the first output pixel.
    const body = `(block $done (loop $grow
        i32.const 1 memory.grow
        local.tee $p0
        i32.const -1 i32.eq br_if $done
        local.get $p0 i32.const 65536 i32.mul i32.const 7 i32.store
        br $grow))
      local.get $dst memory.size i32.store`;
    const file = filterWasm('memory-bomb', body);
    const filter = loadFilter(file);
    const rgba = randomImage(60, 40, rng(3), true);
    const copy = new Session({ filter, strategy: 'copy', workers: 1, filterMemoryMb: 16, tileSize: 64 });
    let out: Uint8Array;
    try {
      out = await copy.filterPixels(rgba, 60, 40); // capped: growth fails at 16 MiB and the call returns
    } finally {
      await copy.close();
    }
    const reached = new DataView(out.buffer, out.byteOffset, 4).getUint32(0, true) * PAGE;
    assert.equal(reached, 16 * 2 ** 20, `the filter's memory grew to ${reached} bytes: exactly the 16 MiB cap`);
    // Under shared the image's own memory allows the filter 16 MiB more than the host made it with.
    const shared = new Session({ filter, strategy: 'shared', workers: 1, filterMemoryMb: 16, tileSize: 64 });
    let sharedOut: Uint8Array;
    try {
      sharedOut = await shared.filterPixels(rgba, 60, 40);
    } finally {
      await shared.close();
    }
    const sharedReached = new DataView(sharedOut.buffer, sharedOut.byteOffset, 4).getUint32(0, true) * PAGE;
    const hostMade = sharedReached - 16 * 2 ** 20;
    assert.ok(hostMade > 0 && hostMade <= 2 ** 20, `the shared memory grew to ${sharedReached} bytes: 16 MiB over the ${hostMade} bytes the host made for a 60×40 image`);
  });

  test('filters check: passes a good filter, catches one that reads outside its halo', async () => {
    // Reads the pixel 2 to the left while declaring halo 0: whole and tiled disagree.
    const body = `(local $y i32) (local $x i32) (local $s i32) (local $d i32)
      (loop $rows
        (local.set $x (i32.const 0))
        (loop $cols
          (local.set $s (i32.add (i32.add (local.get $src) (i32.mul (local.get $y) (local.get $ss))) (i32.shl (local.get $x) (i32.const 2))))
          (local.set $d (i32.add (i32.add (local.get $dst) (i32.mul (local.get $y) (local.get $ds))) (i32.shl (local.get $x) (i32.const 2))))
          (i32.store (local.get $d) (i32.load (i32.sub (local.get $s) (i32.const 8))))
          (local.set $x (i32.add (local.get $x) (i32.const 1)))
          (br_if $cols (i32.lt_u (local.get $x) (local.get $w))))
        (local.set $y (i32.add (local.get $y) (i32.const 1)))
        (br_if $rows (i32.lt_u (local.get $y) (local.get $h))))`;
    const leaky = filterWasm('leaky', body);
    const r = await runCli(['filters', 'check', leaky]);
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stdout, /FAIL copy: tiles 16×16 == whole: seam: pixel \(\d+, \d+\) in tile/);
    assert.match(r.stdout, /does the filter read further than its halo \(0\)\?/);
    assert.match(r.stdout, /imports +env\.memory \(memory\)/);
    assert.match(r.stdout, /filter fails/);
    const trap = await runCli(['filters', 'check', filterWasm('trapper', 'unreachable')]);
    assert.equal(trap.code, 1);
    assert.match(trap.stdout, /FAIL copy: run: .*WebAssembly trap: unreachable/);
  });
});

test('a streamed image: Ctrl-C mid-run removes the run\'s temporary directory and leaves no partial output', async () => {
  const { existsSync } = await import('node:fs');
  const input = join(tmp.dir, 'stream-ctrl-c-in');
  const scratch = join(tmp.dir, 'stream-ctrl-c-tmp');
  mkdirSync(input);
  mkdirSync(scratch);
  // Over 2048², so it streams through temporary files; big enough to be caught mid-way.
  await writeRandomPng(join(input, 'big.png'), 2600, 2600, 7);
  const out = join(tmp.dir, 'stream-ctrl-c-out');
  let sawTemp = false;
  const r = await runCli(['run', '--filter', 'gaussian-blur', '--param', 'sigma=4', '--input', input, '--output', out], {
    env: { ...process.env, TMPDIR: scratch },
    onSpawn: (child) => {
      const poll = setInterval(() => {
        const dirs = readdirSync(scratch).filter((d) => d.startsWith('tessera-'));
        if (dirs.some((d) => readdirSync(join(scratch, d)).some((f) => f.endsWith('.tif')))) {
          sawTemp = true;
          clearInterval(poll);
          child.kill('SIGINT');
        }
      }, 10);
      child.on('exit', () => clearInterval(poll));
    },
  });
  assert.ok(sawTemp, 'the image was streaming through temporary files before the interrupt');
  assert.ok(r.signal === 'SIGINT' || r.code !== 0, `interrupted (code ${r.code}, signal ${r.signal})`);
  assert.deepEqual(readdirSync(scratch), [], 'the run\'s temporary directory was removed');
  const left = existsSync(out) ? readdirSync(out) : [];
  assert.ok(left.every((f) => f === 'big.png'), `only complete outputs: ${left.join(', ')}`);
});

test('a loop in any entry point called at load (start function, tessera_abi, halo, scratch_size) fails the load in bounded time, naming the filter', async () => {
  const spin = '(loop $l (br $l))';
  // A start function only in a plain-memory module: a shared-memory form with one is refused from its bytes.
  const module = (parts: { start?: boolean; abi?: string; halo?: string; scratch?: string }) => `(module
  (import "env" "memory" ${parts.start ? '(memory 1)' : '(memory 1 65536 shared)'})
  (func $spin ${spin})
  ${parts.start ? '(start $spin)' : ''}
  (func (export "tessera_abi") (result i32) ${parts.abi ?? 'i32.const 1'})
  (func (export "halo") (param i32 i32 i32 i32) (result i32) ${parts.halo ?? 'i32.const 0'})
  (func (export "scratch_size") (param i32 i32 i32 i32 i32 i32) (result i32) ${parts.scratch ?? 'i32.const 0'})
  (func (export "filter") (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32)))`;
  const cases = [
    ['loop-start', module({ start: true })],
    ['loop-abi', module({ abi: `${spin} i32.const 1` })],
    ['loop-halo', module({ halo: `${spin} i32.const 0` })],
    ['loop-scratch', module({ scratch: `${spin} i32.const 0` })],
  ] as const;
  for (const [name, text] of cases) {
    const file = writeWasm(tmp.dir, name, text);
    const started = performance.now();
    const r = await runCli(['run', '--filter', file, '--input', join(tmp.dir, 'filter-inputs'), '--output', join(tmp.dir, `${name}-out`)], { timeoutMs: NO_HANG_MS });
    const ms = performance.now() - started;
    assert.equal(r.code, 2, `${name}: ${r.stderr}`);
    assert.match(r.stderr, new RegExp(`${name}\\.wasm: not a tessera filter: did not finish instantiating and answering .* within \\d+ ms .*its thread was stopped`), name);
    assert.ok(ms < NO_HANG_MS, `${name} took ${ms} ms`);
  }
});

test('text from a filter reaches the terminal escaped, and an uncaught WebAssembly exception is named', async () => {
  // An AssemblyScript-style abort message (UTF-16, its byte length in the 4 bytes before it) with an escape sequence and a forged line.
  const text = '\u001b[31mevil\u001b[0m\nforged: ok';
  const utf16 = Buffer.from(text, 'utf16le');
  const bytes = Buffer.concat([Buffer.from(new Uint32Array([utf16.length]).buffer), utf16]);
  const data = [...bytes].map((b) => `\\${b.toString(16).padStart(2, '0')}`).join('');
  const aborting = filterWasm('abort-escape', '(call $abort (i32.const 1028) (i32.const 0) (i32.const 0) (i32.const 0))', {
    extra: `(import "env" "abort" (func $abort (param i32 i32 i32 i32))) (data (i32.const 1024) "${data}")`,
  });
  const throwing = filterWasm('throws', '(throw $oops)', { extra: '(tag $oops)' });
  const rgba = randomImage(16, 16, rng(4));
  for (const [file, expected] of [
    [aborting, /filter aborted: \\x1b\[31mevil\\x1b\[0m\\x0aforged: ok/],
    [throwing, /the filter threw a WebAssembly exception it did not catch/],
  ] as const) {
    const session = new Session({ filter: file, strategy: 'copy', workers: 1, tileSize: 16 });
    try {
      await assert.rejects(session.filterPixels(rgba, 16, 16, 'card'), (err: Error) => {
        assert.match(err.message, expected);
        assert.doesNotMatch(err.message, /[\u0000-\u001f]/, 'no raw control characters');
        return true;
      });
    } finally {
      await session.close();
    }
  }
});

test('a WASI command form that imports more than fd_read, fd_write and proc_exit is refused at load, naming the import', async () => {
  const dir = join(tmp.dir, 'wasi-extra');
  mkdirSync(dir);
  writeWasm(dir, 'copier', abiFilterWat(COPY_ROWS_WAT));
  const wasi = (imports: string) => `(module ${imports} (memory (export "memory") 1) (func (export "_start")))`;
  writeWasm(dir, 'copier.wasi', wasi('(import "wasi_snapshot_preview1" "fd_read" (func (param i32 i32 i32 i32) (result i32))) (import "wasi_snapshot_preview1" "path_open" (func (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))'));
  const r = await runCli(['run', '--filter', join(dir, 'copier.wasm'), '--input', join(tmp.dir, 'filter-inputs'), '--output', join(tmp.dir, 'wasi-extra-out'), '--strategy', 'pipe']);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /copier\.wasi\.wasm: not a tessera filter: the WASI command form imports wasi_snapshot_preview1\.path_open \(function\); it may import only wasi_snapshot_preview1\.fd_read, wasi_snapshot_preview1\.fd_write, wasi_snapshot_preview1\.proc_exit/);
});

test('inputs are never written through a link: links are refused unless --follow-symlinks, and even then no output lands on an input', async () => {
  const { symlinkSync, existsSync, readFileSync } = await import('node:fs');
  const keep = join(tmp.dir, 'links-keep');
  const input = join(tmp.dir, 'links-in');
  mkdirSync(keep);
  mkdirSync(input);
  await writeRandomPng(join(keep, 'a.png'), 40, 30, 1);
  await writeRandomPng(join(input, 'b.png'), 40, 30, 2);
  symlinkSync(join(keep, 'a.png'), join(input, 'a.png'));
  const original = readFileSync(join(keep, 'a.png'));
  // Default: the link fails with a line saying so; the other image is written.
  const out = join(tmp.dir, 'links-out');
  const r = await runCli(['run', '--filter', 'invert', '--input', input, '--output', out]);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /a\.png: is a symbolic link \(to .*links-keep\/a\.png\); tessera reads links only with --follow-symlinks/);
  assert.deepEqual(readdirSync(out), ['b.png']);
  // Followed: read, written elsewhere.
  const out2 = join(tmp.dir, 'links-out2');
  const followed = await runCli(['run', '--filter', 'invert', '--input', input, '--output', out2, '--follow-symlinks']);
  assert.equal(followed.code, 0, followed.stderr);
  assert.deepEqual(readdirSync(out2).sort(), ['a.png', 'b.png']);
  // Followed, with the output directory where the link points: the output would be the input itself.
  const attack = await runCli(['run', '--filter', 'invert', '--input', input, '--output', keep, '--follow-symlinks']);
  assert.equal(attack.code, 1, attack.stderr);
  assert.match(attack.stderr, /a\.png: its output .*links-keep\/a\.png is an input of this run .*not overwritten/);
  assert.deepEqual(readFileSync(join(keep, 'a.png')), original, 'the input behind the link is untouched');
  assert.ok(existsSync(join(keep, 'b.png')), 'the other image is written');
});

test('pipe: a filter process that floods its stdout, or never exits, is killed and named; the run ends in bounded time', async () => {
  const dir = join(tmp.dir, 'wasi-misbehave');
  mkdirSync(dir);
  const wasi = (body: string) => `(module
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 2 16)
  (data (i32.const 0) "\\00\\04\\00\\00\\00\\00\\01\\00")
  (func (export "_start") ${body}))`;
  writeWasm(dir, 'flood', abiFilterWat(COPY_ROWS_WAT));
  // 64 KiB to stdout, forever, before reading a frame.
  writeWasm(dir, 'flood.wasi', wasi('(loop $l (drop (call $write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 16))) (br $l))'));
  writeWasm(dir, 'spin', abiFilterWat(COPY_ROWS_WAT));
  // Never reads, never exits: its tile meets the deadline, and an idle one must still be stopped at close.
  writeWasm(dir, 'spin.wasi', wasi('(loop $l (br $l))'));
  const flood = await runCli(['run', '--filter', join(dir, 'flood.wasm'), '--input', join(tmp.dir, 'filter-inputs'), '--output', join(tmp.dir, 'flood-out'), '--strategy', 'pipe', '--workers', '1', '--tile-timeout', '5000'], { timeoutMs: NO_HANG_MS });
  assert.equal(flood.code, 1, flood.stderr);
  assert.match(flood.stderr, /its filter process wrote (output nobody asked for|more output than its frame) \(\d+ bytes.*\) and was killed/);
  const started = performance.now();
  const spin = await runCli(['run', '--filter', join(dir, 'spin.wasm'), '--input', join(tmp.dir, 'filter-inputs', 'b-even.png'), '--output', join(tmp.dir, 'spin-out'), '--strategy', 'pipe', '--workers', '2', '--tile-timeout', '1000'], { timeoutMs: NO_HANG_MS });
  assert.equal(spin.code, 1, spin.stderr);
  assert.match(spin.stderr, /exceeded the 1000 ms tile deadline/);
  assert.ok(performance.now() - started < 15_000, 'the idle filter process that never exits was killed at close');
});

test('a WASI command form whose memory has no maximum within --filter-memory is refused for pipe and disk, saying how to fix it', async () => {
  const dir = join(tmp.dir, 'wasi-nomax');
  mkdirSync(dir);
  writeWasm(dir, 'unbounded', abiFilterWat(COPY_ROWS_WAT));
  writeWasm(dir, 'unbounded.wasi', '(module (memory (export "memory") 2) (func (export "_start")))');
  for (const strategy of ['pipe', 'disk']) {
    const r = await runCli(['run', '--filter', join(dir, 'unbounded.wasm'), '--input', join(tmp.dir, 'filter-inputs'), '--output', join(tmp.dir, `nomax-${strategy}`), '--strategy', strategy]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /unbounded\.wasi\.wasm: the WASI command form declares a memory with no maximum, and node:wasi caps nothing else, so --filter-memory 256 MiB cannot hold it\. Possible solutions:\n- declare a maximum of at most 4096 pages/);
  }
  // The built-in forms declare 256 MiB: a lower cap is refused the same way, not ignored.
  const low = await runCli(['run', '--filter', 'invert', '--input', join(tmp.dir, 'filter-inputs'), '--output', join(tmp.dir, 'nomax-low'), '--strategy', 'pipe', '--filter-memory', '16']);
  assert.equal(low.code, 2, low.stderr);
  assert.match(low.stderr, /invert\.wasi\.wasm: the WASI command form declares a memory of up to 256 MiB/);
});
