/** Fuzzing: mutated and random image bytes and random parameter values — no crash, no hang, only clear errors; a long batch keeps memory bounded. */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import fc from 'fast-check';
import sharp from 'sharp';
import { RssSampler } from 'tessera-bench/rss-sampler';
import { TesseraError } from '../../src/errors.js';
import { Session } from '../../src/pipeline/session.js';
import { builtinFilterNames, loadFilter } from '../../src/filter/filter-module.js';
import { resolveParams } from '../../src/filter/params.js';
import { randomImage, rng, tempDir } from '../helpers/index.js';

const tmp = tempDir('tessera-fuzz-');
after(() => tmp.cleanup());

test('mutated and random PNG bytes: every file succeeds or fails with an error naming it', async () => {
  const dir = join(tmp.dir, 'mutants');
  mkdirSync(dir);
  const seedPng = await sharp(randomImage(33, 21, rng(8), true), { raw: { width: 33, height: 21, channels: 4 } }).png().toBuffer();
  const mutant = fc.oneof(
    fc.array(fc.tuple(fc.nat(seedPng.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }).map((edits) => {
      const b = Buffer.from(seedPng);
      for (const [at, v] of edits) b[at] = v;
      return b;
    }),
    fc.nat(seedPng.length).map((n) => seedPng.subarray(0, n)),
    fc.tuple(fc.nat(seedPng.length), fc.uint8Array({ minLength: 1, maxLength: 64 })).map(([at, junk]) => Buffer.concat([seedPng.subarray(0, at), junk, seedPng.subarray(at)])),
    fc.uint8Array({ minLength: 0, maxLength: 2048 }).map((u) => Buffer.from(u)),
  );
  const samples = fc.sample(mutant, { numRuns: 200, seed: 1122 });
  const files = samples.map((bytes, i) => {
    const file = join(dir, `m${String(i).padStart(3, '0')}.png`);
    writeFileSync(file, bytes);
    return file;
  });
  const out = join(tmp.dir, 'mutants-out');
  mkdirSync(out);
  for (const strategy of ['shared', 'copy'] as const) {
    const session = new Session({ filter: 'gaussian-blur', params: { sigma: 1.5 }, strategy, workers: 2, tileSize: 16 });
    try {
      const summary = await session.run(files, out);
      assert.equal(summary.images, files.length);
      assert.equal(summary.succeeded + summary.failed, files.length);
      assert.ok(summary.succeeded > 0, 'some mutants still decode');
      assert.ok(summary.failed > 0, 'some mutants are refused');
      for (const r of summary.results) {
        if (r.error) assert.ok(r.error.startsWith(`${r.input}: `), `error names the file: ${r.error}`);
        else assert.ok(r.output && r.width! > 0);
      }
    } finally {
      await session.close();
    }
  }
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

test('a batch of 1,000 small images finishes with bounded memory', async () => {
  const dir = join(tmp.dir, 'thousand');
  mkdirSync(dir);
  const next = rng(1000);
  const files: string[] = [];
  for (let i = 0; i < 1000; i++) {
    const file = join(dir, `img${String(i).padStart(4, '0')}.png`);
    await sharp(randomImage(24 + (i % 9), 16 + (i % 5), next, true), { raw: { width: 24 + (i % 9), height: 16 + (i % 5), channels: 4 } }).png().toFile(file);
    files.push(file);
  }
  const out = join(tmp.dir, 'thousand-out');
  mkdirSync(out);
  const rss = new RssSampler();
  rss.start(10);
  const session = new Session({ filter: 'sobel', workers: 2 });
  let summary;
  try {
    summary = await session.run(files, out);
  } finally {
    await session.close();
  }
  const peakMb = rss.stop();
  assert.equal(summary.succeeded, 1000);
  // Peak RSS of the whole test process (sharp, V8, two worker threads included).
  console.log(`# 1,000 images: ${summary.elapsedMs.toFixed(0)} ms, peak RSS ${peakMb.toFixed(0)} MB`);
  assert.ok(peakMb < 768, `peak RSS ${peakMb.toFixed(0)} MB`);
});
