/**
 * Filters written in C and Rust (examples/c, examples/rust), built with Debian's toolchains
 * by scripts/build-native-filter.mjs: every form under every strategy it supports,
 * bit-identical to the TypeScript reference of the built-in they port; and the shadow stack
 * rule (src/filter/shadow-stack.ts) — a shared form whose stack pointer is not exported is
 * refused naming the filter, and one that exports it runs bit-identical on several threads
 * while deliberately working on its stack, which would corrupt pixels if the threads'
 * stacks overlapped (the control below shows it does).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { ErrorCode, TesseraError } from '../../src/errors.js';
import { inspectWasmBinary } from '../../src/filter/binary.js';
import { checkFilter } from '../../src/filter/check.js';
import { builtinFilterNames, loadFilter, type FilterModule } from '../../src/filter/filter-module.js';
import { findShadowStack } from '../../src/filter/shadow-stack.js';
import type { ParamInput } from '../../src/filter/params.js';
import { applyReference } from '../../src/reference/apply-reference.js';
import { supportedStrategies } from '../../src/strategies/supported.js';
import type { StrategyName } from '../../src/strategies/types.js';
import { runCli } from '../helpers/cli.js';
import { decodeRgba, fromRgba } from '../helpers/image-files.js';
import { firstDifference, randomImage, rng } from '../helpers/images.js';
import { REPO_ROOT } from '../helpers/paths.js';
import { withSession } from '../helpers/session.js';
import { tempDir } from '../helpers/temp.js';
import { buildNativeFilter, buildNativeFilterOutcome, compilerEnv, requireClang, requireRust } from '../helpers/toolchains.js';
import { abiFilterWat, COPY_ROWS_WAT, writeWasm } from '../helpers/wat.js';
import { measureKernels, nativeKernelSpecs } from 'tessera-bench/kernels';

const tmp = tempDir('tessera-native-');
after(() => tmp.cleanup());

/** True when `err` is a FilterInvalid naming `file` whose message matches `reason`. */
function refused(file: string, reason: RegExp) {
  return (err: unknown) => err instanceof TesseraError && err.code === ErrorCode.FilterInvalid && err.message.includes(file) && reason.test(err.message);
}

/** One example filter and the built-in whose reference it must equal. */
interface Example {
  source: string;
  name: string;
  reference: string;
  /** Param sets to compare at (the extremes and both code paths of box-blur: direct sums for r ≤ 3, prefix sums above). */
  params: ParamInput[];
}

const C_EXAMPLES: Example[] = [
  { source: 'examples/c/box-blur.c', name: 'box-blur-c', reference: 'box-blur', params: [{ radius: 1 }, { radius: 3 }, { radius: 9 }] },
  {
    source: 'examples/c/brightness-contrast.c', name: 'brightness-contrast-c', reference: 'brightness-contrast',
    params: [{}, { brightness: 40, contrast: 35 }, { brightness: -255, contrast: -100 }, { brightness: 17, contrast: 100 }],
  },
];
const RUST_EXAMPLES: Example[] = C_EXAMPLES.map((e) => ({
  ...e,
  source: e.source.replace('examples/c/', 'examples/rust/').replace('-', '_').replace(/\.c$/, '.rs'),
  name: e.name.replace(/-c$/, '-rs'),
}));

const WIDTH = 97;
const HEIGHT = 61;
const image = randomImage(WIDTH, HEIGHT, rng(14));

/**
 * Runs `filter` under `strategy` on the test image for each param set and tile edge, two
 * threads for the thread strategies, and returns the first difference from the reference.
 */
async function compareWithReference(filter: FilterModule, example: Example, strategy: StrategyName, tiles: number[], params = example.params): Promise<string | undefined> {
  for (const p of params) {
    for (const tileSize of tiles) {
      const diff = await withSession({ filter, params: p, strategy, workers: 2, tileSize }, async (session) => {
        const out = await session.filterPixels(image, WIDTH, HEIGHT);
        return firstDifference(out, applyReference(example.reference, session.params, image, WIDTH, HEIGHT), WIDTH);
      });
      if (diff) return `${strategy}, tile ${tileSize}, ${JSON.stringify(p)}: ${diff}`;
    }
  }
  return undefined;
}

/** Builds an example and checks every form under every strategy against the reference. */
async function checkExample(example: Example): Promise<void> {
  const out = join(tmp.dir, example.name);
  const summary = buildNativeFilter(join(REPO_ROOT, example.source), out);
  assert.match(summary, new RegExp(`built ${example.name}\\.wasm, ${example.name}\\.shared\\.wasm, ${example.name}\\.wasi\\.wasm`));
  const filter = loadFilter(join(out, `${example.name}.wasm`));
  assert.equal(filter.name, example.name);
  assert.ok(filter.shared, 'the shared twin is found beside the plain form');
  assert.ok(filter.command, 'the WASI command form is found beside the plain form');
  assert.deepEqual(supportedStrategies(filter), ['disk', 'pipe', 'copy', 'shared']);
  // 7: many small tiles with halos crossing them; 64: a few; 1000: one tile larger than the image.
  for (const strategy of ['copy', 'shared', 'pipe'] as const) {
    assert.equal(await compareWithReference(filter, example, strategy, [7, 64, 1000]), undefined);
  }
  // disk starts a process per tile (~0.1 s each): one param set, six tiles.
  assert.equal(await compareWithReference(filter, example, 'disk', [48], [example.params[example.params.length - 1]]), undefined);
}

/** A filter that inverts RGB through a buffer on its shadow stack, slowly enough for threads to overlap. */
const STACK_INVERT_C = `/* invert, through the stack: each row is copied into a local array whose address escapes
   into a function the optimiser cannot see through, inverted there in nine volatile passes
   (odd: the result is inverted) and copied out. Threads sharing one stack overwrite each other's rows. */
#include "tessera_filter.h"

#define CHUNK 256
#define PASSES 9

__attribute__((noinline)) static void invert_rgb(volatile uint8_t *buf, int32_t bytes) {
  for (int32_t k = 0; k < PASSES; k++)
    for (int32_t i = 0; i < bytes; i++)
      if ((i & 3) != 3) buf[i] = (uint8_t)(255 - buf[i]);
}

int32_t tessera_abi(void) { return TESSERA_ABI_VERSION; }
int32_t halo(int32_t p0, int32_t p1, int32_t p2, int32_t p3) { return 0; }

void filter(const uint8_t *src, int32_t src_stride, uint8_t *dst, int32_t dst_stride, int32_t width, int32_t height,
            uint8_t *scratch, int32_t p0, int32_t p1, int32_t p2, int32_t p3) {
  uint8_t buf[CHUNK * 4];
  for (int32_t y = 0; y < height; y++) {
    for (int32_t x = 0; x < width; x += CHUNK) {
      int32_t bytes = (width - x < CHUNK ? width - x : CHUNK) * 4;
      __builtin_memcpy(buf, src + y * src_stride + x * 4, (uint32_t)bytes);
      invert_rgb(buf, bytes);
      __builtin_memcpy(dst + y * dst_stride + x * 4, buf, (uint32_t)bytes);
    }
  }
}
`;

/** Writes the stack filter's source and manifest into `dir`; returns the source's path. */
function writeStackInvert(dir: string, name = 'stack-invert'): string {
  const source = join(dir, `${name}.c`);
  writeFileSync(source, STACK_INVERT_C);
  writeFileSync(join(dir, `${name}.json`), JSON.stringify({ name, description: 'invert through a buffer on the shadow stack (a test filter)' }));
  return source;
}

describe('the shadow stack rule, from hand-written modules (no toolchain needed)', () => {
  // A function that opens a 1 KiB frame the way LLVM does: global.get, i32.const, i32.sub, global.set.
  const FRAME = `(func $frame (local $sp i32)
      (local.set $sp (i32.sub (global.get $sp) (i32.const 1024)))
      (global.set $sp (local.get $sp))
      (i32.store (local.get $sp) (i32.const 7))
      (global.set $sp (i32.add (local.get $sp) (i32.const 1024))))`;
  const body = `${COPY_ROWS_WAT} (call $frame)`;
  const stackModule = (name: string, global: string, shared = true) =>
    writeWasm(tmp.dir, name, abiFilterWat(body, { shared, extra: `${global} ${FRAME}` }));

  test('a shared form that moves a stack pointer of its own (found from its code, no names) is refused, naming the file and the remedy', () => {
    const file = stackModule('stack-hidden', '(global $sp (mut i32) (i32.const 32768))');
    assert.equal(findShadowStack(new Uint8Array(readFileSync(file)), inspectWasmBinary(new Uint8Array(readFileSync(file))))?.evidence, 'frames');
    assert.throws(() => loadFilter(file), refused(file, /keeps a shadow stack in it: its code moves global 0, which starts at address 32768 in every instance[^]*Possible solutions:\n- export the stack pointer[^]*--export=__stack_pointer/));
  });

  test('the same module with its stack pointer exported loads, each lane getting as much stack as the module linked with', () => {
    const file = stackModule('stack-exported', '(global $sp (export "__stack_pointer") (mut i32) (i32.const 32768))');
    assert.equal(loadFilter(file).shared?.stackBytes, 32768);
  });

  test('under copy (a plain memory) the stack stays in the module\'s own bytes: allowed without the export', () => {
    const file = stackModule('stack-plain', '(global $sp (mut i32) (i32.const 32768))', false);
    const filter = loadFilter(file);
    assert.equal(filter.shared, undefined);
    assert.equal(filter.plain.stackBytes, undefined);
  });

  test('a stack that starts above the module\'s 64 KiB is refused in any form: it would grow over the host\'s pixels', () => {
    const file = stackModule('stack-high', '(global $sp (mut i32) (i32.const 1048576))', false);
    assert.throws(() => loadFilter(file), refused(file, /starts at address 1048576: the stack must lie in the module's 65536 bytes[^]*--stack-first/));
  });

  test('an exported __stack_pointer that is immutable cannot be moved: refused', () => {
    const file = writeWasm(tmp.dir, 'stack-const', abiFilterWat(`${COPY_ROWS_WAT} (drop (global.get $sp))`, { extra: '(global $sp (export "__stack_pointer") i32 (i32.const 32768))' }));
    assert.throws(() => loadFilter(file), refused(file, /exports __stack_pointer, but not as a mutable i32 global/));
  });

  test('no built-in AssemblyScript filter has a shadow stack: each shared form still loads, with no stack to place', () => {
    for (const name of builtinFilterNames()) {
      const filter = loadFilter(name);
      assert.ok(filter.shared, name);
      assert.equal(filter.shared.stackBytes, undefined, name);
    }
  });
});

describe('C filters (clang, wasm-ld)', { skip: requireClang() }, () => {
  for (const example of C_EXAMPLES) {
    test(`${example.source}: every form under copy, shared, pipe and disk is bit-identical to the ${example.reference} reference`, () => checkExample(example));
  }

  test('tessera run --strategy shared --workers 2 on an image file, and tessera filters check', async () => {
    const out = join(tmp.dir, 'cli-c');
    buildNativeFilter(join(REPO_ROOT, 'examples/c/box-blur.c'), out);
    const input = join(tmp.dir, 'cli-in');
    mkdirSync(input, { recursive: true });
    await fromRgba(image, WIDTH, HEIGHT).png().toFile(join(input, 'noise.png'));
    const written = join(tmp.dir, 'cli-out');
    const r = await runCli(['run', '--filter', join(out, 'box-blur-c.wasm'), '--param', 'radius=4', '--input', input, '--output', written, '--strategy', 'shared', '--workers', '2', '--tile', '32']);
    assert.equal(r.code, 0, r.stderr);
    const got = await decodeRgba(join(written, 'noise.png'));
    assert.equal(firstDifference(got.data, applyReference('box-blur', [4], image, WIDTH, HEIGHT), WIDTH), undefined);
    const report = await checkFilter(join(out, 'box-blur-c.wasm'));
    assert.ok(report.ok, report.steps.map((s) => `${s.ok ? 'ok' : 'FAIL'} ${s.name}: ${s.detail}`).join('\n'));
    assert.match(report.steps.find((s) => s.name === 'shadow stack')!.detail, /box-blur-c\.shared\.wasm \(shared twin\): none/);
  });

  test('a filter working on its stack runs bit-identical under shared with two threads: each lane has a stack of its own', async () => {
    const dir = join(tmp.dir, 'stack');
    mkdirSync(dir, { recursive: true });
    const summary = buildNativeFilter(writeStackInvert(dir), dir, ['--no-command']);
    assert.match(summary, /uses a shadow stack of 32768 bytes, exported as __stack_pointer/);
    const filter = loadFilter(join(dir, 'stack-invert.wasm'));
    assert.equal(filter.shared?.stackBytes, 32768);
    const [w, h] = [1024, 768];
    const big = randomImage(w, h, rng(5));
    const expected = applyReference('invert', [], big, w, h);
    const differing = (out: Uint8Array) => out.reduce((n, v, i) => n + (v !== expected[i] ? 1 : 0), 0);
    for (const tileSize of [64, 100]) {
      const out = await withSession({ filter, strategy: 'shared', workers: 2, tileSize }, (s) => s.filterPixels(big, w, h));
      assert.equal(firstDifference(out, expected, w), undefined, `tile ${tileSize}`);
    }
    // The control: the same run with one stack for every thread (as the module would have it,
    // were its pointer not moved) corrupts pixels — so the assertion above can fail.
    const oneStack: FilterModule = { ...filter, shared: { ...filter.shared!, stackBytes: undefined } };
    let worst = 0;
    for (let run = 0; run < 3 && worst === 0; run++) {
      worst = differing(await withSession({ filter: oneStack, strategy: 'shared', workers: 2, tileSize: 64 }, (s) => s.filterPixels(big, w, h)));
    }
    assert.ok(worst > 0, 'threads sharing one stack overwrote each other\'s rows');
  });

  test('a shared form built by hand with wasm-ld --shared-memory and no __stack_pointer export is refused, naming the filter', async () => {
    const dir = join(tmp.dir, 'stack-refused');
    mkdirSync(dir, { recursive: true });
    const source = writeStackInvert(dir);
    const file = join(dir, 'stack-invert.shared.wasm');
    execFileSync('clang', [
      '--target=wasm32', '-O3', '-nostdlib', '-matomics', '-mbulk-memory', `-I${join(REPO_ROOT, 'examples/c')}`,
      '-Wl,--no-entry', '-Wl,--import-memory', '-Wl,--stack-first', '-Wl,-z,stack-size=32768', '-Wl,--shared-memory', '-Wl,--max-memory=4294967296',
      '-o', file, source,
    ], { env: compilerEnv() });
    assert.throws(() => loadFilter(file), refused(file, /imports a shared memory and keeps a shadow stack in it: its code moves global 0 \(__stack_pointer\)[^]*overwrite each other's locals/));
    const input = join(dir, 'in');
    mkdirSync(input, { recursive: true });
    await fromRgba(image, WIDTH, HEIGHT).png().toFile(join(input, 'a.png'));
    const r = await runCli(['run', '--filter', file, '--input', input, '--output', join(dir, 'out')]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /stack-invert\.shared\.wasm: not a tessera filter: imports a shared memory and keeps a shadow stack/);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  });

  test('wasm-ld --shared-memory with data puts it behind a start function: refused with the linker named', () => {
    const dir = join(tmp.dir, 'init-memory');
    mkdirSync(dir, { recursive: true });
    const source = join(dir, 'table.c');
    writeFileSync(source, `#include "tessera_filter.h"
static const uint8_t table[4] = {1, 2, 3, 4};
int32_t tessera_abi(void) { return 1; }
int32_t halo(int32_t a, int32_t b, int32_t c, int32_t d) { return 0; }
void filter(const uint8_t *s, int32_t ss, uint8_t *d, int32_t ds, int32_t w, int32_t h, uint8_t *x, int32_t p0, int32_t p1, int32_t p2, int32_t p3) {
  for (int32_t y = 0; y < h; y++) for (int32_t i = 0; i < w * 4; i++) d[y * ds + i] = s[y * ss + i] ^ table[i & 3];
}
`);
    const file = join(dir, 'table.shared.wasm');
    execFileSync('clang', [
      '--target=wasm32', '-O3', '-nostdlib', '-matomics', '-mbulk-memory', `-I${join(REPO_ROOT, 'examples/c')}`,
      '-Wl,--no-entry', '-Wl,--import-memory', '-Wl,--shared-memory', '-Wl,--max-memory=4294967296', '-o', file, source,
    ], { env: compilerEnv() });
    assert.throws(() => loadFilter(file), refused(file, /has a start function \(function 0, __wasm_init_memory\)[^]*link without --shared-memory/));
  });

  test('the build helper refuses zero-initialised statics (they would be one copy for every thread) and says what to do', () => {
    const dir = join(tmp.dir, 'bss');
    mkdirSync(dir, { recursive: true });
    const source = join(dir, 'counter.c');
    writeFileSync(source, `#include "tessera_filter.h"
static int32_t tiles;
int32_t tessera_abi(void) { return 1; }
int32_t halo(int32_t a, int32_t b, int32_t c, int32_t d) { return 0; }
void filter(const uint8_t *s, int32_t ss, uint8_t *d, int32_t ds, int32_t w, int32_t h, uint8_t *x, int32_t p0, int32_t p1, int32_t p2, int32_t p3) {
  tiles++;
  for (int32_t y = 0; y < h; y++) for (int32_t i = 0; i < w * 4; i++) d[y * ds + i] = s[y * ss + i];
}
`);
    writeFileSync(join(dir, 'counter.json'), JSON.stringify({ name: 'counter' }));
    const { code, stderr } = buildNativeFilterOutcome(source, join(dir, 'out'));
    assert.equal(code, 1, stderr);
    assert.match(stderr, /counter\.c: the linker added a start function \(__wasm_init_memory\) to zero its zero-initialised or mutable statics[^]*Possible solutions:/);
    assert.doesNotMatch(stderr, /\n\s+at /, 'no stack trace');
  });

  test('without the WASI command form, pipe and disk are refused with the reason; copy and shared still run', async () => {
    const out = join(tmp.dir, 'no-command');
    buildNativeFilter(join(REPO_ROOT, 'examples/c/brightness-contrast.c'), out, ['--no-command']);
    const filter = loadFilter(join(out, 'brightness-contrast-c.wasm'));
    assert.deepEqual(supportedStrategies(filter), ['copy', 'shared']);
    for (const strategy of ['pipe', 'disk'] as const) {
      await assert.rejects(
        withSession({ filter, strategy }, async () => {}),
        (err: unknown) => err instanceof TesseraError && err.code === ErrorCode.Usage && new RegExp(`brightness-contrast-c has no WASI command form .* for the ${strategy} strategy`).test(err.message),
      );
    }
  });
});

describe('Rust filters (/usr/bin/rustc, wasm32-unknown-unknown)', { skip: requireRust() }, () => {
  for (const example of RUST_EXAMPLES) {
    test(`${example.source}: every form under copy, shared, pipe and disk is bit-identical to the ${example.reference} reference`, () => checkExample(example));
  }

  test('whatever stack rustc gives box_blur.rs (core\'s panic path may use one), its shared form exports it and gets lane stacks', () => {
    const out = join(tmp.dir, 'rust-stack');
    buildNativeFilter(join(REPO_ROOT, 'examples/rust/box_blur.rs'), out, ['--no-command']);
    const bytes = new Uint8Array(readFileSync(join(out, 'box-blur-rs.shared.wasm')));
    const stack = findShadowStack(bytes, inspectWasmBinary(bytes));
    assert.equal(stack?.exported, true, 'the helper exports __stack_pointer');
    assert.equal(loadFilter(join(out, 'box-blur-rs.wasm')).shared?.stackBytes, stack.used ? 32768 : undefined);
  });
});

describe('the kernels bench measures the compiled-language ports beside their built-ins', { skip: requireClang() }, () => {
  test('nativeKernelSpecs builds the ports it has a toolchain for; measureKernels runs them in the built-in\'s group', async () => {
    const specs = nativeKernelSpecs();
    const labels = specs.map((s) => s.name);
    assert.ok(labels.includes('box-blur (C)') && labels.includes('brightness-contrast (C)'), labels.join(', '));
    const blur = [{ name: 'box-blur', group: 'box-blur' }, ...specs.filter((s) => s.group === 'box-blur')];
    const results = await measureKernels([{ data: image, width: WIDTH, height: HEIGHT }], blur, 1);
    assert.deepEqual(results.map((r) => r.filter), blur.map((s) => s.name));
    for (const r of results) assert.ok(r.mpxPerS > 0 && r.memcpyMpxPerS > 0, r.filter);
  });
});
