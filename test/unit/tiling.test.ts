import assert from 'node:assert/strict';
import { test } from 'node:test';
import { paddedLayout, writePadded } from '../../src/tiling/padded-image.js';
import { planTiles } from '../../src/tiling/plan.js';
import { randomImage, rng } from '../helpers/images.js';

test('planTiles covers every pixel exactly once, row-major, edge tiles partial', () => {
  for (const [w, h, t] of [[768, 512, 256], [37, 23, 7], [5, 3, 1], [10, 10, 64], [1, 1, 1], [255, 257, 256]]) {
    const plan = planTiles(w, h, t);
    const seen = new Uint8Array(w * h);
    plan.tiles.forEach((tile, i) => {
      assert.equal(tile.index, i);
      assert.ok(tile.width >= 1 && tile.width <= t && tile.height >= 1 && tile.height <= t);
      for (let y = tile.y; y < tile.y + tile.height; y++) for (let x = tile.x; x < tile.x + tile.width; x++) seen[y * w + x]++;
    });
    assert.ok(seen.every((c) => c === 1), `${w}×${h} tile ${t}: every pixel once`);
    assert.equal(plan.tiles.length, Math.ceil(w / t) * Math.ceil(h / t));
  }
  assert.equal(planTiles(768, 512).tiles.length, 6);
  assert.deepEqual(planTiles(10, 10, 64).tiles, [{ index: 0, x: 0, y: 0, width: 10, height: 10 }]);
});

test('planTiles rejects sizes below 1 and fractions', () => {
  assert.throws(() => planTiles(0, 5, 4), /width must be a positive integer/);
  assert.throws(() => planTiles(5, 5, 0), /tileSize must be a positive integer/);
  assert.throws(() => planTiles(5, 5, 2.5), /tileSize/);
});

test('writePadded replicates border pixels into the halo (clamp-to-edge)', () => {
  const next = rng(7);
  for (const [w, h, halo] of [[1, 1, 3], [5, 3, 2], [17, 9, 0], [4, 6, 5]]) {
    const rgba = randomImage(w, h, next);
    const layout = paddedLayout(w, h, halo);
    assert.equal(layout.stride % 16, 0);
    const base = 12; // 4-aligned but not 16-aligned
    const target = new Uint8Array(base + layout.byteLength);
    writePadded(rgba, layout, target, base);
    for (let y = -halo; y < h + halo; y++) {
      for (let x = -halo; x < w + halo; x++) {
        const sx = Math.min(w - 1, Math.max(0, x));
        const sy = Math.min(h - 1, Math.max(0, y));
        const at = base + layout.origin + y * layout.stride + x * 4;
        for (let c = 0; c < 4; c++) assert.equal(target[at + c], rgba[(sy * w + sx) * 4 + c], `(${x},${y}) of ${w}×${h} halo ${halo}`);
      }
    }
  }
});
