import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryPool, scrubMemory } from '../../src/strategies/memory-pool.js';
import { MemoryBudget } from '../../src/pipeline/memory-budget.js';
import { bandAt, bandCount, bandSourceRows } from '../../src/tiling/band.js';
import { completePadding, paddedLayout, writeInteriorRows, writePadded } from '../../src/tiling/padded-image.js';

test('a reused image memory reaches the next image zeroed, every byte', () => {
  const memory = new WebAssembly.Memory({ initial: 3, maximum: 10, shared: true });
  new Uint8Array(memory.buffer).fill(0xa5);
  const pool = new MemoryPool();
  pool.give(memory, 3);
  assert.equal(pool.take(4), undefined, 'too small for 4 pages');
  assert.equal(pool.take(1), undefined, 'a 1-page request does not pin 3 pages');
  const taken = pool.take(2);
  assert.equal(taken?.memory, memory);
  assert.ok(new Uint8Array(memory.buffer).every((b) => b === 0), 'scrubbed');
  assert.equal(pool.take(2), undefined, 'taken once');
  new Uint8Array(memory.buffer).fill(1);
  scrubMemory(memory);
  assert.ok(new Uint8Array(memory.buffer).every((b) => b === 0));
});

test('memory budget: first come first served, a request waits until it fits, over-budget requests are refused', async () => {
  const budget = new MemoryBudget(100);
  const a = await budget.acquire(60);
  const order: string[] = [];
  const b = budget.acquire(50).then((l) => (order.push('b'), l));
  const c = budget.acquire(10).then((l) => (order.push('c'), l));
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(order, [], 'b does not fit; c, behind it, waits too');
  a.release();
  a.release(); // idempotent
  const [lb, lc] = await Promise.all([b, c]);
  assert.deepEqual(order, ['b', 'c']);
  assert.equal(budget.usedBytes, 60);
  assert.equal(budget.peakBytes, 60);
  lb.release();
  lc.release();
  assert.equal(budget.usedBytes, 0);
  await assert.rejects(budget.acquire(101), RangeError);
});

test('bands cover every row once and read up to halo real rows around them; padding them == padding the whole image', () => {
  const width = 5;
  const height = 11;
  const halo = 3;
  const rgba = new Uint8Array(width * height * 4).map((_, i) => (i * 37) & 0xff);
  const whole = paddedLayout(width, height, halo);
  const wholeBuf = new Uint8Array(whole.byteLength);
  writePadded(rgba, whole, wholeBuf, 0);
  for (const bandRows of [1, 2, 4, 11, 20]) {
    let covered = 0;
    for (let k = 0; k < bandCount(height, bandRows); k++) {
      const band = bandAt(k, height, bandRows, halo);
      assert.equal(band.y0, covered);
      covered += band.rows;
      const layout = paddedLayout(width, band.rows, halo);
      const buf = new Uint8Array(layout.byteLength);
      const { first, count } = bandSourceRows(band);
      const at = halo - band.above;
      writeInteriorRows(rgba.subarray(first * width * 4, (first + count) * width * 4), layout, buf, 0, at, count);
      completePadding(layout, buf, 0, at, count);
      // Padded band row r is padded whole-image row band.y0 + r.
      for (let r = 0; r < band.rows + 2 * halo; r++) {
        const got = buf.subarray(r * layout.stride, r * layout.stride + (width + 2 * halo) * 4);
        const want = wholeBuf.subarray((band.y0 + r) * whole.stride, (band.y0 + r) * whole.stride + (width + 2 * halo) * 4);
        assert.deepEqual(got, want, `bandRows ${bandRows} band ${k} padded row ${r}`);
      }
    }
    assert.equal(covered, height);
  }
});
