/**
 * WebAssembly text → .wasm for hand-made filters (good, broken and hostile ones), through
 * wabt, with one feature set for every test and an optional manifest custom section.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import wabt from 'wabt';
import { appendCustomSection } from '../../src/filter/binary.js';
import { MANIFEST_SECTION } from '../../src/filter/manifest.js';

const wabtModule = await wabt();

/** Everything the tests' modules use: shared memories and atomics, memory.copy, v128, exceptions. */
const FEATURES = { threads: true, bulk_memory: true, simd: true, exceptions: true };

/** Assembles WebAssembly text; `name` only labels parse errors. */
export function assemble(text: string, name = 'test.wat'): Uint8Array {
  const mod = wabtModule.parseWat(name, text, FEATURES);
  try {
    return mod.toBinary({}).buffer;
  } finally {
    mod.destroy();
  }
}

/** Assembles `text` into `dir/name.wasm`, with `manifest` as its tessera manifest section when given; returns the path. */
export function writeWasm(dir: string, name: string, text: string, manifest?: object): string {
  let bytes = assemble(text, `${name}.wat`);
  if (manifest) bytes = appendCustomSection(bytes, MANIFEST_SECTION, new TextEncoder().encode(JSON.stringify(manifest)));
  const file = join(dir, `${name}.wasm`);
  writeFileSync(file, bytes);
  return file;
}

/** A `filter` body that copies the tile through unchanged (an identity filter), one memory.copy per row. */
export const COPY_ROWS_WAT = `(local $y i32)
      (block $done (loop $rows
        (br_if $done (i32.ge_u (local.get $y) (local.get $h)))
        (memory.copy (i32.add (local.get $dst) (i32.mul (local.get $y) (local.get $ds)))
                     (i32.add (local.get $src) (i32.mul (local.get $y) (local.get $ss)))
                     (i32.shl (local.get $w) (i32.const 2)))
        (local.set $y (i32.add (local.get $y) (i32.const 1)))
        (br $rows)))`;

/**
 * A `filter` body fragment that writes the i32 `value` (a WAT expression) into every
 * output pixel of the tile; uses locals $y and $x, which the body must declare.
 */
export function fillTileWat(value: string): string {
  return `(block $rows (loop $row
        (br_if $rows (i32.ge_u (local.get $y) (local.get $h)))
        (local.set $x (i32.const 0))
        (block $cols (loop $col
          (br_if $cols (i32.ge_u (local.get $x) (local.get $w)))
          (i32.store (i32.add (i32.add (local.get $dst) (i32.mul (local.get $y) (local.get $ds))) (i32.shl (local.get $x) (i32.const 2))) ${value})
          (local.set $x (i32.add (local.get $x) (i32.const 1)))
          (br $col)))
        (local.set $y (i32.add (local.get $y) (i32.const 1)))
        (br $row)))`;
}

export interface AbiFilterOptions {
  /** Import a shared memory (runs under copy and shared) or a plain one (copy only). Default true. */
  shared?: boolean;
  /** Module fields placed before the exports: imports, helper functions. */
  extra?: string;
  /** What halo() returns. Default 0. */
  halo?: number;
  /** What tessera_abi() returns. Default 1. */
  abi?: number;
}

/**
 * The text of an ABI v1 filter module whose `filter` runs `body`. Its params are named
 * $src $ss $dst $ds $w $h $scratch $p0 $p1 $p2 $p3; `body` may start with (local …) declarations.
 */
export function abiFilterWat(body: string, options: AbiFilterOptions = {}): string {
  const memory = options.shared === false ? '(memory 1)' : '(memory 1 65536 shared)';
  return `(module
  (import "env" "memory" ${memory})
  ${options.extra ?? ''}
  (func (export "tessera_abi") (result i32) i32.const ${options.abi ?? 1})
  (func (export "halo") (param i32 i32 i32 i32) (result i32) i32.const ${options.halo ?? 0})
  (func (export "filter") (param $src i32) (param $ss i32) (param $dst i32) (param $ds i32) (param $w i32) (param $h i32)
    (param $scratch i32) (param $p0 i32) (param $p1 i32) (param $p2 i32) (param $p3 i32)
    ${body}))`;
}

/**
 * Writes `spin.wasm` into `dir`: the identity, plus a busy loop of `spin` (its one param)
 * × 100k iterations per tile — slow enough to kill a worker, Redis or a coordinator mid-run.
 * Plain memory: it runs under `copy`.
 */
export function writeSpinFilter(dir: string): string {
  return writeWasm(
    dir,
    'spin',
    abiFilterWat(
      `(local $i i32) ${COPY_ROWS_WAT}
      (local.set $i (i32.mul (local.get $p0) (i32.const 100000)))
      (block $s (loop $l (br_if $s (i32.eqz (local.get $i))) (local.set $i (i32.sub (local.get $i) (i32.const 1))) (br $l)))`,
      { shared: false },
    ),
    { name: 'spin', params: [{ name: 'spin', type: 'int', default: 0, min: 0, max: 10000 }] },
  );
}
