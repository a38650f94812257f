/**
 * `tessera filters check` and the start-function rule of the shared form (issue 12):
 * what the check reads from the bytes (imports, start function, memory limits), whether
 * a `.shared.wasm` twin agrees with its plain module, and that a filter which loops or
 * outgrows the memory cap ends the check in bounded time with a failed step.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ErrorCode, TesseraError } from '../../src/errors.js';
import { BUILTIN_FILTER_DIR } from '../../src/filter/artifacts.js';
import { inspectWasmBinary } from '../../src/filter/binary.js';
import { checkFilter, type FilterCheckReport } from '../../src/filter/check.js';
import { builtinFilterNames, loadFilter } from '../../src/filter/filter-module.js';
import { Session } from '../../src/pipeline/session.js';
import { runCli } from '../helpers/cli.js';
import { randomImage, rng } from '../helpers/images.js';
import { tempDir } from '../helpers/temp.js';
import { COPY_ROWS_WAT, abiFilterWat, fillTileWat, writeWasm, type AbiFilterOptions } from '../helpers/wat.js';

const tmp = tempDir('tessera-check-');
after(() => tmp.cleanup());

/** An ABI v1 module (shared memory unless `shared: false`) with `body` as its filter, in the temp dir. */
const filterWasm = (name: string, body: string, options: AbiFilterOptions = {}, manifest?: object): string => writeWasm(tmp.dir, name, abiFilterWat(body, options), manifest);

/** A start function that stores into the memory (the statics area, where a plain form may write). */
const STORING_START = '(func $init (i32.store (i32.const 1024) (i32.const 0x11223344))) (start $init)';

/** Hang guard for a check: far beyond its deadlines, it only tells a stuck check from a finished one. */
const NO_HANG_MS = 120_000;

/** `promise`, or a rejection once `ms` have passed. */
async function bounded<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const guard = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: still running after ${ms / 1000} s`)), ms);
  });
  try {
    return await Promise.race([promise, guard]);
  } finally {
    clearTimeout(timer);
  }
}

function step(report: FilterCheckReport, name: string) {
  const found = report.steps.find((s) => s.name === name);
  assert.ok(found, `step "${name}" in ${report.steps.map((s) => s.name).join(', ')}`);
  return found;
}

const describeSteps = (r: FilterCheckReport) => r.steps.map((s) => `${s.ok ? 'ok' : 'FAIL'} ${s.name}: ${s.detail}`).join('\n');

/** A filter module with a param-dependent halo and scratch (WAT expressions over $p0..$p3, $w, $h), copying its tile through. */
function geometryWat(memory: 'plain' | 'shared', halo: string, scratch = 'i32.const 0'): string {
  return `(module
  (import "env" "memory" ${memory === 'shared' ? '(memory 1 65536 shared)' : '(memory 1)'})
  (func (export "tessera_abi") (result i32) i32.const 1)
  (func (export "halo") (param $p0 i32) (param $p1 i32) (param $p2 i32) (param $p3 i32) (result i32) ${halo})
  (func (export "scratch_size") (param $w i32) (param $h i32) (param $p0 i32) (param $p1 i32) (param $p2 i32) (param $p3 i32) (result i32) ${scratch})
  (func (export "filter") (param $src i32) (param $ss i32) (param $dst i32) (param $ds i32) (param $w i32) (param $h i32)
    (param $scratch i32) (param $p0 i32) (param $p1 i32) (param $p2 i32) (param $p3 i32)
    ${COPY_ROWS_WAT}))`;
}

const REACH = { name: 'reach', type: 'int', default: 2, min: 0, max: 8 };

test('a shared-memory form with a start function is refused at load, naming the file and what to do; a plain form keeps its start function', async () => {
  // One module importing a shared memory: it is the shared form itself.
  const shared = filterWasm('start-shared', COPY_ROWS_WAT, { extra: STORING_START });
  const info = inspectWasmBinary(new Uint8Array(readFileSync(shared)));
  assert.equal(info.startFunction, 0, 'the start section names function 0');
  assert.deepEqual(info.imports, [{ module: 'env', name: 'memory', kind: 'memory' }]);
  assert.throws(
    () => loadFilter(shared),
    (err: unknown) => {
      assert.ok(err instanceof TesseraError && err.code === ErrorCode.FilterInvalid, String(err));
      assert.ok(err.message.startsWith(`${shared}: not a tessera filter: imports a shared memory and has a start function (function 0)`), err.message);
      assert.match(err.message, /could write over its pixels/);
      assert.match(err.message, /- move that work into filter\(\)/);
      assert.match(err.message, /- drop the shared form: import a plain \(not shared\) env\.memory, so that the filter runs under copy/);
      return true;
    },
  );
  // A plain module with a .shared.wasm twin that has one: the twin is named.
  const plainFile = filterWasm('twin-start', COPY_ROWS_WAT, { shared: false });
  const twinFile = filterWasm('twin-start.shared', COPY_ROWS_WAT, { extra: STORING_START });
  assert.throws(
    () => loadFilter(plainFile),
    (err: unknown) =>
      err instanceof TesseraError &&
      err.message.startsWith(`${twinFile}: not a tessera filter: imports a shared memory and has a start function`) &&
      /drop the shared form: delete twin-start\.shared\.wasm, so that twin-start\.wasm runs under copy/.test(err.message),
  );
  // The plain (copy) form: its start function runs over its own memory before the tile arrives, and filter() sees what it wrote.
  const plainStart = filterWasm('plain-start', `(local $y i32) (local $x i32) ${fillTileWat('(i32.load (i32.const 1024))')}`, { shared: false, extra: STORING_START });
  const filter = loadFilter(plainStart);
  assert.equal(filter.shared, undefined);
  assert.equal(inspectWasmBinary(new Uint8Array(readFileSync(plainStart))).startFunction, 0);
  const session = new Session({ filter, strategy: 'copy', workers: 1, tileSize: 8, tileTimeoutMs: 5000 });
  let out: Uint8Array;
  try {
    out = await bounded(session.filterPixels(randomImage(20, 12, rng(1)), 20, 12, 'card'), NO_HANG_MS, 'copy run');
  } finally {
    await session.close();
  }
  const words = new Uint32Array(out.buffer, out.byteOffset, out.length / 4);
  assert.ok(words.every((w) => w === 0x11223344), 'every pixel carries the value the start function stored');
  const report = await bounded(checkFilter(plainStart), NO_HANG_MS, 'check');
  assert.ok(report.ok, describeSteps(report));
  assert.match(step(report, 'start function').detail, /plain-start\.wasm \(plain form\) has one \(function 0\): allowed/);
});

test('filters check reports the start-function refusal as a failed step, also from the CLI', async () => {
  const file = filterWasm('check-start', COPY_ROWS_WAT, { extra: STORING_START });
  const report = await bounded(checkFilter(file), NO_HANG_MS, 'check');
  assert.equal(report.ok, false);
  const start = step(report, 'start function');
  assert.equal(start.ok, false);
  assert.ok(start.detail.includes(`${file}: imports a shared memory and has a start function (function 0)`), start.detail);
  assert.equal(step(report, 'imports').ok, true, 'the other static steps still pass');
  assert.equal(step(report, 'memory limits').ok, true);
  const abi = step(report, 'ABI v1');
  assert.equal(abi.ok, false);
  assert.match(abi.detail, /check-start\.wasm: not a tessera filter: imports a shared memory and has a start function/);
  assert.ok(!report.steps.some((s) => s.name.endsWith(': run') || s.name.includes('deterministic')), 'nothing ran');
  const r = await runCli(['filters', 'check', file]);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stdout, /FAIL start function: refused: .*check-start\.wasm: imports a shared memory and has a start function \(function 0\)/);
  assert.match(r.stdout, /\n {9}- move that work into filter\(\)/, 'continuation lines are indented');
  assert.match(r.stdout, /filter fails/);
  const json = await runCli(['filters', 'check', file, '--json']);
  const parsed = JSON.parse(json.stdout) as FilterCheckReport;
  assert.equal(parsed.forms?.[0]?.startFunction, 0);
  assert.equal(parsed.steps.find((s) => s.name === 'start function')?.ok, false);
});

test('filters check lists each form\'s imports, start function and memory limits against the cap', async () => {
  const file = filterWasm('forms', COPY_ROWS_WAT, { shared: false, extra: '(import "env" "abort" (func $abort (param i32 i32 i32 i32)))' });
  filterWasm('forms.shared', COPY_ROWS_WAT, { extra: '(import "env" "abort" (func $abort (param i32 i32 i32 i32)))' });
  const report = await bounded(checkFilter(file), NO_HANG_MS, 'check');
  assert.ok(report.ok, describeSteps(report));
  assert.deepEqual(report.forms?.map((f) => f.form), ['plain', 'shared']);
  assert.equal(step(report, 'imports').detail, 'forms.wasm (plain form): env.memory (memory), env.abort (function); forms.shared.wasm (shared twin): env.memory (memory, shared), env.abort (function)');
  assert.equal(step(report, 'start function').detail, 'none in any of the 2 forms');
  assert.match(step(report, 'memory limits').detail, /forms\.wasm \(plain form\): imported, 1 pages initial, no maximum; its private memory \(copy\) is capped at 4096 pages/);
  assert.match(step(report, 'memory limits').detail, /forms\.shared\.wasm \(shared twin\): imported shared, 1 pages initial, maximum 65536; under shared an image's memory grows at most 4096 pages/);
  assert.deepEqual(report.limits, { tileTimeoutMs: 5000, filterMemoryMb: 256, maxMemoryPages: 4096 });
  // Initial pages over the cap, and a memory of its own with no maximum: both fail the memory step, naming the form.
  const big = writeWasm(tmp.dir, 'big-initial', abiFilterWat(COPY_ROWS_WAT).replace('(memory 1 65536 shared)', '(memory 5000 65536 shared)'));
  const bigReport = await bounded(checkFilter(big), NO_HANG_MS, 'check');
  const bigStep = step(bigReport, 'memory limits');
  assert.equal(bigStep.ok, false);
  assert.match(bigStep.detail, /big-initial\.wasm \(plain and shared form\): .*its 5000 initial pages \(312\.5 MiB\) are over the cap of 4096 pages \(256 MiB, --filter-memory\)/);
  const own = writeWasm(tmp.dir, 'own-memory', abiFilterWat(COPY_ROWS_WAT).replace('(import "env" "memory" (memory 1 65536 shared))', '(memory (export "memory") 1)'));
  const ownStep = step(await bounded(checkFilter(own), NO_HANG_MS, 'check'), 'memory limits');
  assert.equal(ownStep.ok, false);
  assert.match(ownStep.detail, /own-memory\.wasm \(plain form\): defined, 1 pages initial, no maximum: it declares no maximum/);
});

test('a twin whose halo() or scratch_size() differs from the plain module\'s fails "twin consistency", naming the params and both answers', async () => {
  // Agree at the default (2) and the minimum (0); differ at the maximum (8): only probing the extremes finds it.
  writeWasm(tmp.dir, 'halo-twin', geometryWat('plain', 'local.get $p0'), { name: 'halo-twin', params: [REACH] });
  writeWasm(tmp.dir, 'halo-twin.shared', geometryWat('shared', '(select (local.get $p0) (i32.const 4) (i32.lt_s (local.get $p0) (i32.const 4)))'), { name: 'halo-twin', params: [REACH] });
  const report = await bounded(checkFilter(join(tmp.dir, 'halo-twin.wasm')), NO_HANG_MS, 'check');
  assert.equal(report.ok, false);
  const twin = step(report, 'twin consistency');
  assert.equal(twin.ok, false);
  assert.match(twin.detail, /halo\(\) at reach=8: halo-twin\.wasm \(plain form\) answers 8, halo-twin\.shared\.wasm \(shared twin\) answers 4/);
  assert.deepEqual(report.steps.filter((s) => !s.ok).map((s) => s.name), ['twin consistency'], describeSteps(report));
  // scratch_size: the twin asks for more at full tiles.
  writeWasm(tmp.dir, 'scratch-twin', geometryWat('plain', 'i32.const 0', '(i32.mul (local.get $w) (i32.const 4))'));
  writeWasm(tmp.dir, 'scratch-twin.shared', geometryWat('shared', 'i32.const 0', '(i32.mul (local.get $w) (i32.const 8))'));
  const scratch = step(await bounded(checkFilter(join(tmp.dir, 'scratch-twin.wasm')), NO_HANG_MS, 'check'), 'twin consistency');
  assert.equal(scratch.ok, false);
  assert.match(scratch.detail, /scratch_size\(256, 256\) at no params: scratch-twin\.wasm \(plain form\) answers 1024, scratch-twin\.shared\.wasm \(shared twin\) answers 2048/);
  // Twins that agree: the step says what was compared.
  writeWasm(tmp.dir, 'same-twin', geometryWat('plain', 'local.get $p0'), { name: 'same-twin', params: [REACH] });
  writeWasm(tmp.dir, 'same-twin.shared', geometryWat('shared', 'local.get $p0'), { name: 'same-twin', params: [REACH] });
  const same = await bounded(checkFilter(join(tmp.dir, 'same-twin.wasm')), NO_HANG_MS, 'check');
  assert.ok(same.ok, describeSteps(same));
  assert.match(step(same, 'twin consistency').detail, /same manifest; same halo\(\) and scratch_size\(256×256, 7×7\) at 3 param sets \(reach=2; reach=0; reach=8\)/);
});

test('a twin that declares another manifest (a param range) is refused at load, and the check says why', async () => {
  writeWasm(tmp.dir, 'range-twin', geometryWat('plain', 'local.get $p0'), { name: 'range-twin', params: [REACH] });
  writeWasm(tmp.dir, 'range-twin.shared', geometryWat('shared', 'local.get $p0'), { name: 'range-twin', params: [{ ...REACH, max: 16 }] });
  // The host runs the twin with the plain module's manifest: one that declares another is a broken build.
  assert.throws(() => loadFilter(join(tmp.dir, 'range-twin.wasm')), /range-twin\.shared\.wasm: .*declares another manifest than .*range-twin\.wasm \(param 1 max: 8 vs 16\)/);
  const report = await bounded(checkFilter(join(tmp.dir, 'range-twin.wasm')), NO_HANG_MS, 'check');
  assert.equal(report.ok, false);
  const load = step(report, 'ABI v1');
  assert.equal(load.ok, false);
  assert.match(load.detail, /declares another manifest than .*param 1 max: 8 vs 16/);
});

test('a filter that loops forever ends the check in bounded time, its runs failed at the tile deadline', async () => {
  const file = filterWasm('spin-check', '(loop $forever (br $forever))');
  const started = performance.now();
  const report = await bounded(checkFilter(file, {}, { tileTimeoutMs: 1000 }), NO_HANG_MS, 'check of a looping filter');
  const ms = performance.now() - started;
  assert.equal(report.ok, false);
  assert.deepEqual(report.strategies, ['copy', 'shared']);
  for (const strategy of ['copy', 'shared']) {
    const run = step(report, `${strategy}: run`);
    assert.equal(run.ok, false);
    assert.match(run.detail, /exceeded the 1000 ms tile deadline \(--tile-timeout\)/);
    assert.match(run.detail, /the check runs each tile under a 1000 ms deadline/);
  }
  assert.ok(ms < 30_000, `the check took ${Math.round(ms)} ms`);
});

test('a filter that grows its memory past the cap fails its runs, and the same growth within the cap passes', async () => {
  /** Grows the memory to `pages` pages in all, trapping when memory.grow refuses; then copies the tile through. */
  const growTo = (pages: number) => `(local $n i32) (local $y i32)
      (local.set $n (i32.sub (i32.const ${pages}) (memory.size)))
      (if (i32.gt_s (local.get $n) (i32.const 0))
        (then (if (i32.eq (memory.grow (local.get $n)) (i32.const -1)) (then unreachable))))
      ${COPY_ROWS_WAT.replace('(local $y i32)', '')}`;
  // The default cap, 256 MiB = 4096 pages: 4200 is past it under copy, and past what the host made plus the cap under shared.
  const over = await bounded(checkFilter(filterWasm('grow-past-default', growTo(4200))), NO_HANG_MS, 'check');
  assert.equal(over.ok, false);
  for (const strategy of ['copy', 'shared']) {
    const run = step(over, `${strategy}: run`);
    assert.match(run.detail, /WebAssembly trap: unreachable/);
    assert.match(run.detail, /the filter's memory capped at 256 MiB, where memory\.grow returns -1/);
  }
  // An explicit cap reaches the runs: 300 pages is past 16 MiB (256 pages), 200 is within it.
  const capped = await bounded(checkFilter(filterWasm('grow-300', growTo(300)), {}, { filterMemoryMb: 16 }), NO_HANG_MS, 'check');
  assert.equal(step(capped, 'copy: run').ok, false);
  assert.match(step(capped, 'copy: run').detail, /the filter's memory capped at 16 MiB/);
  const within = await bounded(checkFilter(filterWasm('grow-200', growTo(200)), {}, { filterMemoryMb: 16 }), NO_HANG_MS, 'check');
  assert.ok(within.ok, describeSteps(within));
});

test('every built-in filter passes every step of filters check (by path, asked in the probe, and by name)', async () => {
  const names = builtinFilterNames();
  assert.ok(names.length >= 8, `built-ins: ${names.join(', ')}`);
  const files = readdirSync(BUILTIN_FILTER_DIR);
  for (const name of names) {
    const info = inspectWasmBinary(new Uint8Array(readFileSync(join(BUILTIN_FILTER_DIR, `${name}.shared.wasm`))));
    assert.equal(info.startFunction, undefined, `${name}.shared.wasm has no start section`);
    assert.ok(files.includes(`${name}.wasi.wasm`));
    const report = await bounded(checkFilter(join(BUILTIN_FILTER_DIR, `${name}.wasm`)), NO_HANG_MS, `check of ${name}`);
    assert.ok(report.ok, `${name}:\n${describeSteps(report)}`);
    assert.deepEqual(report.forms?.map((f) => f.form), ['plain', 'shared', 'command'], name);
    for (const s of ['imports', 'start function', 'memory limits', 'ABI v1', 'halo', 'twin consistency', 'copy: deterministic', 'shared: tiles 7×7 == whole', 'pipe: tiles 16×16 == whole']) {
      assert.equal(step(report, s).ok, true, `${name}: ${s}`);
    }
    assert.match(step(report, 'twin consistency').detail, /same manifest; same halo\(\) and scratch_size/);
    assert.match(step(report, 'twin consistency').detail, /\.wasi\.wasm \(command form\): same manifest/);
  }
  const byName = await bounded(checkFilter('box-blur'), NO_HANG_MS, 'check of box-blur by name');
  assert.ok(byName.ok, describeSteps(byName));
  assert.match(step(byName, 'twin consistency').detail, /at 3 param sets \(radius=2; radius=1; radius=32\)/);
});
