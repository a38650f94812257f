/**
 * Fuzzing: mutated and random image bytes — no crash, no hang, only clear errors naming
 * the file; a long batch holds a bounded number of images and reuses their memory.
 * (Random parameter values: unit/wasm-loader.test.ts.)
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import fc from 'fast-check';
import { PAGE } from '../../src/filter/abi.js';
import { instantiateFilter } from '../../src/filter/filter-module.js';
import { Session } from '../../src/pipeline/session.js';
import type { StrategyHost } from '../../src/strategies/host.js';
import { paddedLayout } from '../../src/tiling/padded-image.js';
import { align16 } from '../../src/tiling/rows.js';
import { randomImage, rng } from '../helpers/images.js';
import { fromRgba, writeRandomPng } from '../helpers/image-files.js';
import { tempDir } from '../helpers/temp.js';

const tmp = tempDir('tessera-fuzz-');
after(() => tmp.cleanup());

test('mutated and random PNG bytes: every file succeeds or fails with an error naming it', async () => {
  const dir = join(tmp.dir, 'mutants');
  mkdirSync(dir);
  const seedPng = await fromRgba(randomImage(33, 21, rng(8), true), 33, 21).png().toBuffer();
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

test('a batch of 1,000 small images: every one written, at most imagesInFlight held at once, never two in one memory', async (t) => {
  const dir = join(tmp.dir, 'thousand');
  mkdirSync(dir);
  const next = rng(1000);
  const files: string[] = [];
  for (let i = 0; i < 1000; i++) {
    files.push(await writeRandomPng(join(dir, `img${String(i).padStart(4, '0')}.png`), 24 + (i % 9), 16 + (i % 5), next));
  }
  const out = join(tmp.dir, 'thousand-out');
  mkdirSync(out);
  // Memory is bounded by structure, not measured (RSS is the bench's business): the
  // session may hold at most imagesInFlight images at once (counted at its strategy
  // host, where an image's pixels are placed and released), releases every one, and
  // never places an image in a memory another image still holds (a released memory is
  // scrubbed and reused: that it reaches the next image zeroed is memory-pool's test).
  const session = new Session({ filter: 'sobel', workers: 2 });
  assert.equal(session.strategy, 'shared');
  const host = (session as unknown as { host: StrategyHost }).host;
  let held = 0;
  let peak = 0;
  const live = new Set<WebAssembly.Memory>();
  const used = new Set<WebAssembly.Memory>();
  const prepare = host.prepare.bind(host);
  const release = host.release.bind(host);
  host.prepare = (layout, reuse) => {
    peak = Math.max(peak, ++held);
    const image = prepare(layout, reuse);
    assert.ok(image.memory && !live.has(image.memory), 'an image was placed in a memory another image holds');
    live.add(image.memory);
    used.add(image.memory);
    return image;
  };
  host.release = (image, failed) => {
    held--;
    live.delete(image.memory!);
    release(image, failed);
  };
  let summary;
  try {
    summary = await session.run(files, out);
  } finally {
    await session.close();
  }
  assert.equal(summary.succeeded, 1000);
  assert.equal(held, 0, 'every image placed was released');
  assert.ok(peak >= 1 && peak <= session.imagesInFlight, `${peak} images held at once, allowed ${session.imagesInFlight}`);
  assert.ok(used.size <= 3 * session.imagesInFlight, `${used.size} memories made for 1,000 images: released ones are not reused`);
  t.diagnostic(`1,000 images: peak ${peak} held at once, ${used.size} memories made`);
});
