/** The synthetic Kodak-shaped set written to disk: deterministic, decodable, photo-like PNGs. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { generateSynthDataset, renderSynthImage, synthDatasetSpec } from 'tessera-bench/dataset/synth';
import { withTempDir } from '../helpers/temp.js';

/** Luma of an RGB8 buffer. */
function luma(px: Uint8Array): Float64Array {
  const out = new Float64Array(px.length / 3);
  for (let i = 0; i < out.length; i++) out[i] = 0.299 * px[i * 3] + 0.587 * px[i * 3 + 1] + 0.114 * px[i * 3 + 2];
  return out;
}

interface ContentStats {
  std: number;
  flatBlocks: number;
  strongEdges: number;
}

/** Pixel std, fraction of 8×8 blocks with luma std < 3, fraction of pixels with a horizontal or vertical luma step > 48. */
function contentStats(px: Uint8Array, w: number, h: number): ContentStats {
  const y = luma(px);
  let sum = 0;
  let sum2 = 0;
  for (let i = 0; i < px.length; i++) {
    sum += px[i];
    sum2 += px[i] * px[i];
  }
  const mean = sum / px.length;
  const std = Math.sqrt(sum2 / px.length - mean * mean);
  let flat = 0;
  let blocks = 0;
  for (let by = 0; by + 8 <= h; by += 8) {
    for (let bx = 0; bx + 8 <= w; bx += 8) {
      let s = 0;
      let s2 = 0;
      for (let j = 0; j < 8; j++) {
        for (let i = 0; i < 8; i++) {
          const v = y[(by + j) * w + bx + i];
          s += v;
          s2 += v * v;
        }
      }
      const m = s / 64;
      if (Math.sqrt(Math.max(0, s2 / 64 - m * m)) < 3) flat++;
      blocks++;
    }
  }
  let edges = 0;
  for (let r = 0; r + 1 < h; r++) {
    for (let c = 0; c + 1 < w; c++) {
      const v = y[r * w + c];
      if (Math.abs(y[r * w + c + 1] - v) > 48 || Math.abs(y[(r + 1) * w + c] - v) > 48) edges++;
    }
  }
  return { std, flatBlocks: flat / blocks, strongEdges: edges / (w * h) };
}

test('generateSynthDataset writes deterministic, decodable, photo-like PNGs', { timeout: 120_000 }, async () => {
  await withTempDir('tessera-synth-', async (root) => {
    const count = 24;
    const dirA = path.join(root, 'a');
    const dirB = path.join(root, 'nested', 'b');
    const seen: number[] = [];
    const filesA = await generateSynthDataset({ outDir: dirA, count, seed: 3, onImage: (_f, i, n) => {
      assert.equal(n, count);
      seen.push(i);
    } });
    assert.deepEqual(seen, [...Array(count).keys()]);
    const filesB = await generateSynthDataset({ outDir: dirB, count, seed: 3 });
    const spec = synthDatasetSpec(count);
    assert.deepEqual(filesA.map((f) => path.basename(f)), spec.map((s) => s.name));
    // Only the PNGs are left behind (no temporary files).
    assert.deepEqual((await readdir(dirA)).sort(), spec.map((s) => s.name).sort());

    let flatImages = 0;
    let edgeImages = 0;
    for (let i = 0; i < count; i++) {
      const [a, b] = await Promise.all([readFile(filesA[i]), readFile(filesB[i])]);
      assert.ok(a.equals(b), `${spec[i].name} differs between two runs with the same seed`);
      const meta = await sharp(a).metadata();
      assert.equal(meta.format, 'png');
      assert.equal(meta.width, spec[i].width);
      assert.equal(meta.height, spec[i].height);
      assert.equal(meta.channels, 3);
      assert.equal(meta.depth, 'uchar');
      // Compressible like a photo: neither flat nor noise (Kodak PNGs are ~0.4–0.8 MB).
      assert.ok(a.length > 150_000 && a.length < 1_000_000, `${spec[i].name}: ${a.length} bytes`);

      const { data, info } = await sharp(a).raw().toBuffer({ resolveWithObject: true });
      assert.equal(info.channels, 3);
      const px = new Uint8Array(data.buffer, data.byteOffset, data.length);
      if (i % 3 === 0) {
        assert.deepEqual(px, renderSynthImage(spec[i], i, 3), `${spec[i].name}: PNG pixels != renderSynthImage`);
      }
      const st = contentStats(px, info.width, info.height);
      assert.ok(st.std > 25, `${spec[i].name}: std ${st.std.toFixed(1)}`);
      assert.ok(st.flatBlocks < 0.9, `${spec[i].name}: ${(st.flatBlocks * 100).toFixed(0)}% flat blocks`);
      if (st.flatBlocks > 0.1) flatImages++;
      if (st.strongEdges > 0.001) edgeImages++;
    }
    // Most images have sizeable near-flat areas and hard edges, as photos do.
    assert.ok(flatImages >= count * 0.75, `only ${flatImages}/${count} images with > 10% flat blocks`);
    assert.ok(edgeImages >= count * 0.75, `only ${edgeImages}/${count} images with strong edges`);
  });
});

test('a different seed gives different pixels', async () => {
  await withTempDir('tessera-synth-', async (root) => {
    const a = await generateSynthDataset({ outDir: path.join(root, 'a'), count: 2, seed: 1 });
    const b = await generateSynthDataset({ outDir: path.join(root, 'b'), count: 2, seed: 2 });
    for (let i = 0; i < 2; i++) {
      const [pa, pb] = await Promise.all([sharp(a[i]).raw().toBuffer(), sharp(b[i]).raw().toBuffer()]);
      assert.equal(pa.length, pb.length);
      let diff = 0;
      for (let k = 0; k < pa.length; k++) if (Math.abs(pa[k] - pb[k]) > 8) diff++;
      assert.ok(diff > pa.length * 0.25, `image ${i}: only ${diff} of ${pa.length} samples differ`);
    }
  });
});
