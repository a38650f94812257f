/**
 * tessera's filters as an Extism plugin (issue 14): the plugin's output is bit-identical to
 * tessera's reference on images whose tiles are partial and whose borders need the halo;
 * bad inputs are refused by the plugin; `tessera bench` checks the `extism` peer against the
 * reference; the start-up bench's Extism rows are there, consistent and rendered. Shapes
 * and verification only: how the figures compare is the bench's to report.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import { applyReference } from 'tessera/internal/reference/apply-reference';
import { decodeImage } from 'tessera/internal/io/decode';
import { ExtismPeer } from 'tessera-bench/peers/extism';
import {
  callPlugin, createExtismPlugin, extismPluginPath, filterImageWithPlugin, TileInputs, tileInputBytes,
} from 'tessera-bench/peers/extism-plugin';
import { measureExtism } from 'tessera-bench/startup/extism';
import { renderExtismMarkdown } from 'tessera-bench/startup/extism-markdown';
import { extismCharts } from 'tessera-bench/report/extism-charts';
import { runBench } from 'tessera-bench/run-bench';
import { randomImage, rng } from '../helpers/images.js';
import { fromRgba } from '../helpers/image-files.js';
import { tempDir } from '../helpers/temp.js';

const tmp = tempDir('tessera-extism-');
const inDir = join(tmp.dir, 'in');
/** Sizes whose 256-pixel grids end in partial tiles (and one smaller than a tile). */
const SIZES: Array<[number, number]> = [[300, 270], [97, 61]];
const images: Array<{ file: string; rgba: Uint8Array; width: number; height: number }> = [];
const FILTERS = [
  { name: 'grayscale' as const, params: [] as number[], halo: 0 },
  { name: 'gaussian-blur' as const, params: [200], halo: 6 },
];

before(async () => {
  mkdirSync(inDir);
  for (const [k, [w, h]] of SIZES.entries()) {
    // The first image translucent: the blur filters alpha, grayscale keeps it (a gray + alpha PNG).
    const rgba = randomImage(w, h, rng(20 + k), k !== 0);
    const file = join(inDir, `img${k}.png`);
    // The opaque one as an RGB file: tessera keeps a file's channel layout.
    await (k === 0 ? fromRgba(rgba, w, h) : fromRgba(rgba, w, h).removeAlpha()).png().toFile(file);
    const decoded = await decodeImage(file);
    images.push({ file, rgba: decoded.data, width: w, height: h });
  }
});

after(tmp.cleanup);

describe('the Extism plugin', () => {
  test('filters whole images tile by tile bit-identical to the reference, at several tile sizes', async () => {
    const plugin = await createExtismPlugin(readFileSync(extismPluginPath()));
    try {
      for (const f of FILTERS) {
        for (const img of images) {
          const expected = applyReference(f.name, f.params, img.rgba, img.width, img.height);
          for (const tileSize of [256, 64, 7]) {
            const { rgba, tiles } = await filterImageWithPlugin(plugin, f.name, f.params, f.halo, img.rgba, img.width, img.height, new TileInputs(), tileSize);
            assert.equal(tiles, Math.ceil(img.width / tileSize) * Math.ceil(img.height / tileSize));
            assert.ok(Buffer.from(rgba).equals(Buffer.from(expected)), `${f.name} ${img.width}×${img.height} tile ${tileSize}: differs from the reference`);
          }
        }
      }
    } finally {
      await plugin.close();
    }
  });

  test('refuses malformed inputs with its own message, and a halo smaller than the blur reads', async () => {
    const plugin = await createExtismPlugin(readFileSync(extismPluginPath()));
    try {
      const padded = new Uint8Array(20 * 20 * 4);
      const good = new TileInputs().encode(padded, 0, 80, 8, 8, 0, []);
      assert.equal(good.length, tileInputBytes(8, 8, 0));
      await assert.rejects(callPlugin(plugin, 'grayscale', good.slice(0, 40), 256), /input length does not match its header/);
      await assert.rejects(callPlugin(plugin, 'grayscale', new Uint8Array(8), 256), /shorter than its 32-byte header/);
      const bad = good.slice();
      bad[0] = 0;
      await assert.rejects(callPlugin(plugin, 'grayscale', bad, 256), /does not start with TSR1/);
      await assert.rejects(callPlugin(plugin, 'gaussian_blur', new TileInputs().encode(padded, 4 * 20 * 2 + 8, 80, 8, 8, 2, [200]), 256), /halo is smaller than the filter reads/);
      assert.equal((await callPlugin(plugin, 'grayscale', good, 256))!.length, 256, 'a good input still works after the refusals');
    } finally {
      await plugin.close();
    }
  });
});

describe('peer extism', () => {
  let peer: ExtismPeer;
  before(async () => {
    peer = new ExtismPeer();
    await peer.init();
  });
  after(() => peer.close());

  test('runFiles writes PNGs that decode to the reference (1-channel gray, RGB blur kept)', async () => {
    for (const f of FILTERS) {
      const out = join(tmp.dir, `files-${f.name}`);
      mkdirSync(out);
      const { perImageMs } = await peer.runFiles(images.map((i) => i.file), out, { name: f.name, sigma: 2 }, 1);
      assert.equal(perImageMs?.length, images.length);
      for (const img of images) {
        const file = join(out, img.file.slice(img.file.lastIndexOf('/') + 1));
        const written = await decodeImage(file);
        const alpha = img === images[0];
        assert.equal((await sharp(file).metadata()).channels, f.name === 'grayscale' ? (alpha ? 2 : 1) : alpha ? 4 : 3, `${f.name}: channels of ${img.file}`);
        assert.ok(Buffer.from(written.data).equals(Buffer.from(applyReference(f.name, f.params, img.rgba, img.width, img.height))), `${f.name}: ${img.file}`);
      }
    }
  });

  test('claims to match the reference and runs on one thread', () => {
    assert.equal(peer.matchesReference, true);
    assert.equal(peer.effectiveWorkers(2), 1);
    assert.equal(peer.supports({ name: 'gaussian-blur', sigma: 0 }), false);
  });
});

test('tessera bench checks the extism peer against the reference', async () => {
  const report = await runBench({
    input: inDir, filters: ['grayscale', 'gaussian-blur'], strategies: ['shared'], workers: [1], peers: ['extism'],
    repeat: 1, warmup: 0, processRepeat: 0, big: false,
  });
  const rows = report.results.filter((r) => r.strategy === 'extism');
  assert.deepEqual(rows.map((r) => [r.filter, r.kind, r.workers, r.verified]), [['grayscale', 'peer', 1, true], ['gaussian-blur', 'peer', 1, true]]);
  for (const r of rows) assert.ok(r.filterStage && r.filterStage.medianMs > 0, `${r.filter}: filter stage measured`);
});

test('the start-up bench prices a tile through Extism, its parts and a plugin\'s creation', async () => {
  const e = await measureExtism({ calls: 6, tiles: 12, processes: 1 });
  assert.match(e.sdk, /^@extism\/extism \d+\.\d+\.\d+$/);
  assert.deepEqual(e.tiles.map((t) => [t.filter, t.halo, t.verified]), [['grayscale', 0, true], ['gaussian-blur', 6, true]]);
  for (const t of e.tiles) {
    assert.equal(t.inputBytes, tileInputBytes(256, 256, t.halo));
    assert.equal(t.outputBytes, 256 * 256 * 4);
    // input_length + 4 header loads + one load per 8 tile bytes; alloc + one store per 8 bytes + output_set.
    assert.deepEqual(t.hostCalls, { input: 5 + (t.inputBytes - 32) / 8, output: 2 + t.outputBytes / 8 });
    for (const c of [t.extism, t.extismPdk, t.steps.noop, t.steps.read, t.steps.filter, t.steps.write]) assert.ok(c.samples === 6 && c.medianMs > 0 && c.p99Ms >= c.medianMs);
    for (const c of [t.copy, t.shared]) assert.ok(c.samples === 12 && c.medianMs > 0 && c.p99Ms >= c.medianMs);
  }
  assert.equal(e.hostCall.calls, e.tiles[1].hostCalls.input);
  const c = e.creation;
  for (const v of [c.sdkImportMs, c.tesseraImportMs, c.pluginColdMs, c.pluginColdManifestMs, c.tesseraColdMs, c.pluginFromModule.medianMs, c.tesseraInstantiate.medianMs, c.pluginPerTile.medianMs, c.instancePerTile.medianMs]) {
    assert.ok(Number.isFinite(v) && v > 0, `creation figure ${v}`);
  }
  const md = renderExtismMarkdown(e);
  assert.match(md, /### Extism: tessera's filters as an Extism plugin/);
  assert.match(md, /\| grayscale \| Extism `plugin.call` \| 6 \|/);
  assert.match(md, /host calls, \d+ ns each/);
  const charts = await extismCharts(e);
  assert.deepEqual(charts.map((ch) => ch.id), ['extism', 'extism-steps']);
  for (const ch of charts) assert.match(ch.svg, /^<svg/);
});
