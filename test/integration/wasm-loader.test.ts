/**
 * Loading filters: ABI v1 validation, manifests, params, binary inspection. Integration
 * tests: loading a user's module asks it about itself in a probe thread, under a deadline.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import fc from 'fast-check';
import { ErrorCode, TesseraError } from '../../src/errors.js';
import { appendCustomSection, inspectWasmBinary } from '../../src/filter/binary.js';
import { builtinFilterNames, filterHalo, loadFilter } from '../../src/filter/filter-module.js';
import { parseManifest } from '../../src/filter/manifest.js';
import { parseParamPairs, resolveParams } from '../../src/filter/params.js';
import { tempDir } from '../helpers/temp.js';
import { writeWasm } from '../helpers/wat.js';

const tmp = tempDir('tessera-loader-');
after(() => tmp.cleanup());

/** Assembles WebAssembly text into a .wasm file in the temp dir, optionally with a manifest. */
const wat = (name: string, text: string, manifest?: object): string => writeWasm(tmp.dir, name, text, manifest);

const ABI_BODY = `
  (func (export "tessera_abi") (result i32) i32.const 1)
  (func (export "halo") (param i32 i32 i32 i32) (result i32) local.get 0)
  (func (export "filter") (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32))`;

function expectInvalid(file: string, reason: RegExp) {
  assert.throws(
    () => loadFilter(file),
    (err: unknown) => err instanceof TesseraError && err.code === ErrorCode.FilterInvalid && reason.test(err.message) && err.message.includes(file),
  );
}

test('a minimal hand-written module is a valid filter in every memory mode', () => {
  const exported = loadFilter(wat('exported', `(module (memory (export "memory") 1) ${ABI_BODY})`, { name: 'minimal', params: [{ name: 'reach', type: 'int', default: 2, min: 0, max: 9 }] }));
  assert.equal(exported.name, 'minimal');
  assert.equal(exported.plain.memory, 'exported');
  assert.equal(exported.shared, undefined);
  assert.equal(filterHalo(exported, [5]), 5);
  const shared = loadFilter(wat('shared', `(module (import "env" "memory" (memory 1 100 shared)) ${ABI_BODY})`));
  assert.equal(shared.plain.memory, 'imported-shared');
  assert.ok(shared.shared, 'a shared-memory module can run under the shared strategy');
  assert.equal(shared.name, 'shared', 'no manifest: named after the file');
});

test('modules that break ABI v1 are refused at load with the reason', () => {
  const notWasm = join(tmp.dir, 'text.wasm');
  writeFileSync(notWasm, 'hello');
  expectInvalid(notWasm, /not a WebAssembly module/);
  expectInvalid(wat('noexports', `(module (memory (export "memory") 1))`), /missing exported function "tessera_abi"/);
  expectInvalid(wat('wasi', `(module (import "wasi_snapshot_preview1" "path_open" (func (param i32))) (memory (export "memory") 1) ${ABI_BODY})`), /imports wasi_snapshot_preview1\.path_open \(function\); a filter may import only env\.memory/);
  expectInvalid(wat('abi2', `(module (memory (export "memory") 1)
    (func (export "tessera_abi") (result i32) i32.const 2)
    (func (export "halo") (param i32 i32 i32 i32) (result i32) i32.const 0)
    (func (export "filter") (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32)))`), /tessera_abi\(\) returned 2/);
  expectInvalid(wat('arity', `(module (memory (export "memory") 1)
    (func (export "tessera_abi") (result i32) i32.const 1)
    (func (export "halo") (param i32 i32 i32 i32) (result i32) i32.const 0)
    (func (export "filter") (param i32 i32)))`), /export "filter" takes 2 arguments, ABI v1 says 11/);
  expectInvalid(wat('bigdata', `(module (memory (export "memory") 2) (data (i32.const 65530) "0123456789") ${ABI_BODY})`), /data segment writes bytes 65530\.\.65540/);
  expectInvalid(wat('nomem', `(module ${ABI_BODY})`), /needs a memory/);
  expectInvalid(wat('badmanifest', `(module (memory (export "memory") 1) ${ABI_BODY})`, { name: 'Bad Name' }), /invalid manifest: name must be lower-case/);
});

test('unknown built-in names list the valid ones; missing files are named', () => {
  assert.throws(() => loadFilter('blurr'), /unknown filter "blurr"; valid filters: box-blur, .*grayscale/);
  assert.throws(() => loadFilter(join(tmp.dir, 'missing.wasm')), (e: unknown) => e instanceof TesseraError && e.code === ErrorCode.FilterNotFound && /missing\.wasm cannot be read/.test(e.message));
});

test('a halo beyond the limit is refused', () => {
  const f = loadFilter(wat('wide', `(module (memory (export "memory") 1) ${ABI_BODY})`, { name: 'wide', params: [{ name: 'reach', type: 'int', default: 1, min: 0, max: 100000 }] }));
  assert.throws(() => filterHalo(f, [5000]), /halo\(\) returned 5000; allowed 0\.\.128/);
});

test('params: defaults, scaling, and errors that name the param and its range', () => {
  const m = parseManifest(JSON.stringify({ name: 'x', params: [
    { name: 'sigma', type: 'number', scale: 100, default: 2, min: 0.1, max: 20 },
    { name: 'radius', type: 'int', default: 3, min: 1, max: 8 },
  ] }), 'test');
  assert.deepEqual(resolveParams(m), [200, 3]);
  assert.deepEqual(resolveParams(m, { sigma: '0.55', radius: 8 }), [55, 8]);
  assert.throws(() => resolveParams(m, { sigma: '21' }), /Expected a number between 0\.1 and 20 for x\.sigma but received "21"/);
  assert.throws(() => resolveParams(m, { radius: '2.5' }), /Expected an integer between 1 and 8 for x\.radius but received "2\.5"/);
  assert.throws(() => resolveParams(m, { sigma: 'abc' }), /x\.sigma/);
  assert.throws(() => resolveParams(m, { size: '1' }), /filter x has no param "size"; valid params: sigma, radius/);
  assert.deepEqual(parseParamPairs(['a=1', 'b= 2']), { a: '1', b: ' 2' });
  assert.throws(() => parseParamPairs(['a']), /--param expects key=value/);
});

test('random parameter values: accepted within range, otherwise a TesseraError naming the param', () => {
  const names = builtinFilterNames();
  const value = fc.oneof(fc.double(), fc.integer(), fc.string(), fc.constantFrom('NaN', 'Infinity', '-0', '1e400', '', ' ', '0x10', '2.5'));
  fc.assert(
    fc.property(fc.constantFrom(...names), fc.dictionary(fc.constantFrom('sigma', 'radius', 'amount', 'brightness', 'contrast', 'nope'), value), (name, params) => {
      const manifest = loadFilter(name).manifest;
      try {
        const ints = resolveParams(manifest, params as Record<string, string | number>);
        ints.forEach((v, i) => {
          const spec = manifest.params[i];
          assert.ok(Number.isInteger(v) && v >= Math.round(spec.min * spec.scale) && v <= Math.round(spec.max * spec.scale), `${name}.${spec.name} = ${v}`);
        });
      } catch (err) {
        assert.ok(err instanceof TesseraError, String(err));
        assert.match(err.message, new RegExp(`${name}\\.|filter ${name} has no param`));
      }
    }),
    { numRuns: 500, seed: 77 },
  );
});

test('inspectWasmBinary reads memory limits and data segments; custom sections round-trip', () => {
  const file = wat('inspect', `(module (import "env" "memory" (memory 2 300 shared)) (data (i32.const 1024) "abc") ${ABI_BODY})`);
  const bytes = new Uint8Array(readFileSync(file));
  const info = inspectWasmBinary(bytes);
  assert.deepEqual(info.importedMemory, { initial: 2, maximum: 300, shared: true });
  assert.deepEqual(info.dataSegments, [{ offset: 1024, length: 3 }]);
  const tagged = appendCustomSection(bytes, 'hello', new Uint8Array([1, 2, 3]));
  const sections = WebAssembly.Module.customSections(new WebAssembly.Module(tagged as Uint8Array<ArrayBuffer>), 'hello');
  assert.deepEqual([...new Uint8Array(sections[0])], [1, 2, 3]);
});
