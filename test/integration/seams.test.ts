/**
 * The correctness contract: for every filter, strategy, executor and tile size, tiled
 * output is bit-identical to the filter applied to the whole image in one piece (the
 * TypeScript reference, itself checked bit-identical to the WASM build). The random images
 * have random alpha, so the filters on premultiplied alpha (issue 16) run their alpha passes
 * here, per band and halo included, against a reference that runs them once on the whole image.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { applyReference } from '../../src/reference/apply-reference.js';
import { Session } from '../../src/pipeline/session.js';
import type { StrategyName } from '../../src/strategies/types.js';
import { builtinFilterNames, loadFilter } from '../../src/filter/filter-module.js';
import type { FilterParamSpec } from '../../src/filter/manifest.js';
import { firstDifference, randomImage, rng } from '../helpers/images.js';
import { diffFromReference } from '../helpers/session.js';

const FILTERS = builtinFilterNames();
/** Hang guard: far beyond how long any thread takes to start. */
const NO_HANG_MS = 30_000;
const STRATEGIES: StrategyName[] = ['pipe', 'copy', 'shared'];

/** Params away from the defaults, so halos are not the trivial ones. */
function stressParams(specs: FilterParamSpec[], next: () => number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of specs) {
    const span = p.max - p.min;
    // Keep blur radii moderate so small images still have interior tiles.
    const v = p.min + Math.min(span, Math.max(span * 0.15, 1)) * next();
    out[p.name] = p.type === 'int' ? Math.round(v) : Math.round(v * p.scale) / p.scale;
  }
  return out;
}

for (const name of FILTERS) {
  test(`seams: ${name} — tiled == whole for every strategy, workers 1 and 2, tiles 1, 7, 64, 256, larger than the image`, async () => {
    const next = rng(name.length * 7919);
    const params = stressParams(loadFilter(name).manifest.params, next);
    const images = [
      { width: 147, height: 97, tiles: [7, 64, 256, 1000] }, // 7 divides the width, not the height
      { width: 23, height: 17, tiles: [1] },
    ].map((img) => ({ ...img, rgba: randomImage(img.width, img.height, next) }));
    for (const strategy of STRATEGIES) {
      for (const workers of [1, 2]) {
        for (const img of images) {
          for (const tileSize of img.tiles) {
            const diff = await diffFromReference({ filter: name, params, strategy, workers, threadStart: 'eager', tileSize }, img.rgba, img.width, img.height);
            assert.equal(diff, undefined, `${name} ${JSON.stringify(params)} ${strategy} workers=${workers} tile=${tileSize} ${img.width}×${img.height}: ${diff}`);
          }
        }
      }
    }
  });
}

test('seams: copy with a fresh instance per tile (scrubbed memory) — tiled == whole for every filter', async () => {
  const next = rng(777);
  const width = 61;
  const height = 37;
  const rgba = randomImage(width, height, next);
  for (const name of FILTERS) {
    const params = stressParams(loadFilter(name).manifest.params, next);
    for (const workers of [1, 2]) {
      const diff = await diffFromReference({ filter: name, params, strategy: 'copy', isolation: 'instance', workers, threadStart: 'eager', tileSize: 9 }, rgba, width, height);
      assert.equal(diff, undefined, `${name} copy/instance workers=${workers}: ${diff}`);
    }
  }
});

test('seams: disk (a process per tile) — tiled == whole for neighbourhood filters', async () => {
  const next = rng(4242);
  const width = 70;
  const height = 45;
  const rgba = randomImage(width, height, next);
  for (const [name, params, tileSize, workers] of [['gaussian-blur', { sigma: 1.3 }, 32, 2], ['sobel', {}, 64, 1]] as const) {
    const diff = await diffFromReference({ filter: name, params, strategy: 'disk', workers, tileSize }, rgba, width, height);
    assert.equal(diff, undefined, `${name} disk tile=${tileSize}: ${diff}`);
  }
});

test('seams (property): random sizes, tile sizes, params, strategies', async () => {
  const filters = FILTERS.map((name) => loadFilter(name));
  const paramsArb = (specs: FilterParamSpec[]) =>
    fc.tuple(...specs.map((p) => (p.type === 'int' ? fc.integer({ min: p.min, max: p.max }) : fc.integer({ min: Math.ceil(p.min * p.scale), max: Math.floor(p.max * p.scale) }).map((v) => v / p.scale))));
  const arb = fc
    .record({
      filter: fc.integer({ min: 0, max: filters.length - 1 }),
      width: fc.integer({ min: 1, max: 70 }),
      height: fc.integer({ min: 1, max: 70 }),
      tileSize: fc.integer({ min: 1, max: 90 }),
      strategy: fc.constantFrom<StrategyName>('copy', 'shared'),
      seed: fc.integer(),
    })
    .chain((r) => paramsArb(filters[r.filter].manifest.params).map((values) => ({ ...r, values })));
  await fc.assert(
    fc.asyncProperty(arb, async ({ filter, width, height, tileSize, strategy, seed, values }) => {
      const f = filters[filter];
      const params = Object.fromEntries(f.manifest.params.map((p, i) => [p.name, values[i]]));
      const rgba = randomImage(width, height, rng(seed));
      const diff = await diffFromReference({ filter: f, params, strategy, workers: 1, tileSize }, rgba, width, height);
      assert.equal(diff, undefined, diff);
    }),
    { numRuns: 150, seed: 20261122 },
  );
});

test('seams: on-demand threads — tiles run on the calling thread, then threads take over mid-image; output unchanged', async () => {
  const width = 1536;
  const height = 1024;
  const rgba = randomImage(width, height, rng(99));
  for (const strategy of ['copy', 'shared'] as const) {
    // σ=20 (halo 60) on 16-pixel tiles: each of the 6,144 tiles filters 136² pixels, so one round's
    // backlog is ~0.5–0.9 s of this thread here — several times the 100 ms that starts the pool,
    // also on a much faster machine.
    const session = new Session({ filter: 'gaussian-blur', params: { sigma: 20 }, strategy, workers: 2, tileSize: 16 });
    try {
      const executor = (session as unknown as { executor: { inlineMs: number; warm: boolean } }).executor;
      const expected = applyReference('gaussian-blur', session.params, rgba, width, height);
      const check = async (round: number) => {
        const diff = firstDifference(await session.filterPixels(rgba, width, height, `round ${round}`), expected, width);
        assert.equal(diff, undefined, `${strategy} round ${round}: ${diff}`);
      };
      // Round 0 queues every tile at once: a backlog the calling thread starts on and that
      // starts the threads; rounds go on until they are ready (how many depends on the machine: the
      // threads start while this thread keeps filtering). NO_HANG_MS only catches threads
      // that never become ready.
      const started = performance.now();
      let round = 0;
      await check(round++);
      assert.ok(executor.inlineMs > 0, 'some tiles ran on the calling thread');
      while (!executor.warm) {
        assert.ok(performance.now() - started < NO_HANG_MS, `${strategy}: the threads never became ready`);
        await check(round++);
      }
      // From now on every tile goes to the threads.
      const inlineMs = executor.inlineMs;
      await check(round++);
      assert.equal(executor.inlineMs, inlineMs, 'once the threads are ready no tile runs on the calling thread');
    } finally {
      await session.close();
    }
  }
});
