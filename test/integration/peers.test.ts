/**
 * The benchmark peers: each writes PNGs of the right size and layout, runs the filter
 * stage deterministically, and computes what it claims to (grayscale close to BT.709,
 * blur close to tessera's Gaussian).
 */
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import { createPeer, PEER_NAMES, type Peer, type PeerFilter, type PeerName } from 'tessera-bench/peers/index';
import { pngHasAlpha } from 'tessera-bench/peers/common';
import { tempDir } from '../helpers/temp.js';

interface Sample {
  file: string;
  width: number;
  height: number;
  rgb: Uint8Array;
  rgba: Uint8Array;
}

const GRAY: PeerFilter = { name: 'grayscale' };
const BLUR: PeerFilter = { name: 'gaussian-blur', sigma: 2 };
const FILTERS = [GRAY, BLUR];

/** Channels each peer writes: photon's encoder always writes RGBA (documented in photon.ts). */
const CHANNELS: Record<PeerName, Record<PeerFilter['name'], number>> = {
  sharp: { grayscale: 1, 'gaussian-blur': 3 },
  'wasm-vips': { grayscale: 1, 'gaussian-blur': 3 },
  photon: { grayscale: 4, 'gaussian-blur': 4 },
  jimp: { grayscale: 1, 'gaussian-blur': 3 },
  js: { grayscale: 1, 'gaussian-blur': 3 },
  extism: { grayscale: 1, 'gaussian-blur': 3 },
};

/** Largest mean |Δ| (levels, RGB) between a peer's blur and tessera's reference blur at sigma 2. */
const BLUR_TOLERANCE: Record<PeerName, number> = { sharp: 2, 'wasm-vips': 2, photon: 4, jimp: 4, js: 0, extism: 0 };

const tmp = tempDir('tessera-peers-');
const dir = tmp.dir;
const samples: Sample[] = [];

function makeSample(width: number, height: number, seed: number): { rgb: Uint8Array; rgba: Uint8Array } {
  let s = seed >>> 0;
  const rnd = (): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  const rgb = new Uint8Array(width * height * 3);
  const rgba = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const edge = (x > width / 2) !== (y > height / 3) ? 60 : 0;
      const r = (x * 255) / width + rnd() * 24 - 12;
      const g = (y * 255) / height + edge + rnd() * 24 - 12;
      const b = ((x + y) * 255) / (width + height) + rnd() * 80 - 40;
      const px = [r, g, b].map((v) => Math.max(0, Math.min(255, Math.round(v))));
      const i = y * width + x;
      rgb.set(px, i * 3);
      rgba.set([...px, 255], i * 4);
    }
  }
  return { rgb, rgba };
}

/** sRGB ↔ linear, as libvips converts for its B_W colourspace. */
const toLinear = (v: number): number => {
  const c = v / 255;
  return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
};
const toSrgb = (l: number): number => 255 * (l <= 0.0031308 ? 12.92 * l : 1.055 * l ** (1 / 2.4) - 0.055);

/** Mean |gray − f(r,g,b)| over the image. */
function meanAbsDiff(gray: Uint8Array, grayStep: number, rgb: Uint8Array, f: (r: number, g: number, b: number) => number): number {
  let sum = 0;
  const n = rgb.length / 3;
  for (let i = 0; i < n; i++) sum += Math.abs(gray[i * grayStep] - f(rgb[i * 3], rgb[i * 3 + 1], rgb[i * 3 + 2]));
  return sum / n;
}
const gammaLuma = (r: number, g: number, b: number): number => 0.2126 * r + 0.7152 * g + 0.0722 * b;
const linearLuminance = (r: number, g: number, b: number): number => toSrgb(0.2126 * toLinear(r) + 0.7152 * toLinear(g) + 0.0722 * toLinear(b));

async function readRaw(file: string): Promise<{ data: Buffer; width: number; height: number; channels: number }> {
  const { data, info } = await sharp(file).raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: info.channels };
}

before(async () => {
  mkdirSync(join(dir, 'in'));
  for (const [k, [w, h]] of [[97, 61], [64, 45]].entries()) {
    const { rgb, rgba } = makeSample(w, h, 7 + k);
    const file = join(dir, 'in', `img${k}.png`);
    writeFileSync(file, await sharp(rgb, { raw: { width: w, height: h, channels: 3 } }).png().toBuffer());
    samples.push({ file, width: w, height: h, rgb, rgba });
  }
});

after(() => tmp.cleanup());

test('PEER_NAMES and createPeer agree', () => {
  assert.deepEqual([...PEER_NAMES], ['sharp', 'wasm-vips', 'photon', 'jimp', 'js', 'extism']);
  for (const name of PEER_NAMES) assert.equal(createPeer(name).name, name);
});

test('pngHasAlpha reads the PNG header', async () => {
  const rgb = await sharp({ create: { width: 2, height: 2, channels: 3, background: '#123456' } }).png().toBuffer();
  const rgba = await sharp({ create: { width: 2, height: 2, channels: 4, background: '#12345680' } }).png().toBuffer();
  assert.equal(pngHasAlpha(rgb), false);
  assert.equal(pngHasAlpha(rgba), true);
  assert.equal(pngHasAlpha(new Uint8Array(40)), undefined);
});

/** The js peer's blur on every sample (RGBA), the yardstick for the others. */
const referenceBlur: Uint8Array[] = [];

for (const name of ['js', ...PEER_NAMES.filter((n) => n !== 'js')] as PeerName[]) {
  describe(`peer ${name}`, () => {
    let peer: Peer;
    before(async () => {
      peer = createPeer(name);
      const ms = await peer.init();
      assert.ok(Number.isFinite(ms) && ms >= 0, `init returns its duration, got ${ms}`);
    });
    after(async () => {
      await peer.close();
    });

    test('describes itself and its threads', () => {
      assert.ok(peer.description.length > 20);
      assert.equal(peer.effectiveWorkers(1), 1);
      const two = peer.effectiveWorkers(2);
      assert.ok(two === 1 || two === 2);
      assert.ok(peer.supports(GRAY) && peer.supports(BLUR));
    });

    for (const filter of FILTERS) {
      test(`${filter.name}: runFiles writes PNGs of the right size and layout`, async (t) => {
        const outDir = join(dir, `${name}-${filter.name}`);
        mkdirSync(outDir);
        const files = samples.map((s) => s.file);
        const { wallMs, perImageMs } = await peer.runFiles(files, outDir, filter, 2);
        assert.ok(wallMs > 0);
        assert.equal(perImageMs?.length, files.length);
        assert.deepEqual(readdirSync(outDir).sort(), ['img0.png', 'img1.png']);
        for (const s of samples) {
          const out = join(outDir, s.file.slice(s.file.lastIndexOf('/') + 1));
          const meta = await sharp(out).metadata();
          assert.equal(meta.format, 'png');
          assert.equal(meta.width, s.width);
          assert.equal(meta.height, s.height);
          assert.equal(meta.channels, CHANNELS[name][filter.name], `${name} ${filter.name} channels`);
          if (filter.name === 'grayscale' && (name === 'sharp' || name === 'wasm-vips')) {
            const raw = await readRaw(out);
            // libvips' B_W is BT.709 luminance in linear light, gamma-encoded again.
            const linear = meanAbsDiff(raw.data, raw.channels, s.rgb, linearLuminance);
            const gamma = meanAbsDiff(raw.data, raw.channels, s.rgb, gammaLuma);
            t.diagnostic(`${name}: mean |Δ| vs linear-light BT.709 ${linear.toFixed(2)}, vs gamma-space BT.709 luma ${gamma.toFixed(2)}`);
            assert.ok(linear < 3, `${name} grayscale: mean |Δ| ${linear} vs linear-light BT.709 luminance`);
          }
          if (filter.name === 'grayscale' && (name === 'js' || name === 'jimp' || name === 'extism')) {
            const raw = await readRaw(out);
            const gamma = meanAbsDiff(raw.data, raw.channels, s.rgb, gammaLuma);
            assert.ok(gamma < 1, `${name} grayscale: mean |Δ| ${gamma} vs gamma-space BT.709 luma`);
          }
        }
      });

      test(`${filter.name}: runPixels is deterministic and plausible`, async (t) => {
        const images = samples.map((s) => ({ rgba: s.rgba, width: s.width, height: s.height }));
        const copies = images.map((im) => im.rgba.slice());
        const a = await peer.runPixels!(images, filter, 2);
        const b = await peer.runPixels!(images, filter, 1);
        assert.ok(a.wallMs > 0 && b.wallMs > 0);
        assert.equal(a.outputs.length, images.length);
        for (let i = 0; i < images.length; i++) {
          assert.deepEqual(images[i].rgba, copies[i], 'the input pixels are not modified');
          const bytesPerPixel = a.outputs[i].length / (images[i].width * images[i].height);
          assert.ok([1, 2, 3, 4].includes(bytesPerPixel), `output size ${a.outputs[i].length}`);
          assert.ok(Buffer.from(a.outputs[i]).equals(Buffer.from(b.outputs[i])), `${name} ${filter.name}: two runs differ`);
          if (filter.name === 'gaussian-blur') {
            assert.equal(bytesPerPixel, 4);
            if (name === 'js') referenceBlur[i] = a.outputs[i];
            let sum = 0;
            for (let p = 0; p < a.outputs[i].length; p++) if ((p & 3) !== 3) sum += Math.abs(a.outputs[i][p] - referenceBlur[i][p]);
            const mad = sum / ((a.outputs[i].length / 4) * 3);
            t.diagnostic(`${name}: blur mean |Δ| vs tessera's reference ${mad.toFixed(2)}`);
            assert.ok(mad <= BLUR_TOLERANCE[name], `${name} blur: mean |Δ| ${mad} vs tessera's reference`);
          }
        }
      });
    }

    test('refuses to run before init and unsupported params', async () => {
      const fresh = createPeer(name);
      await assert.rejects(fresh.runFiles([], dir, GRAY, 1), new RegExp(`^Error: ${name}:`));
      assert.equal(fresh.supports({ name: 'gaussian-blur', sigma: 0 }), false);
    });
  });
}
