/** The header sniff agrees with libvips' own header read, or declines. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import sharp from 'sharp';
import { sniffImage } from '../../src/io/sniff.js';
import { randomImage, rng } from '../helpers/images.js';
import { fromRgba } from '../helpers/image-files.js';

test('sniffImage matches sharp metadata for every layout and format tessera reads', async () => {
  const rgba = randomImage(37, 23, rng(31));
  const variants: Array<[string, (img: ReturnType<typeof sharp>) => ReturnType<typeof sharp>]> = [
    ['rgb.png', (i) => i.removeAlpha().png()],
    ['rgba.png', (i) => i.png()],
    ['gray.png', (i) => i.extractChannel(0).png()],
    ['gray-alpha.png', (i) => i.extractChannel(0).joinChannel(Buffer.alloc(37 * 23, 7), { raw: { width: 37, height: 23, channels: 1 } }).png()],
    ['palette.png', (i) => i.removeAlpha().png({ palette: true, colours: 8 })],
    ['palette-alpha.png', (i) => i.png({ palette: true, colours: 8 })],
    ['sixteen.png', (i) => i.removeAlpha().toColourspace('rgb16').png()],
    ['photo.jpg', (i) => i.removeAlpha().jpeg()],
    ['progressive.jpg', (i) => i.removeAlpha().jpeg({ progressive: true })],
    ['gray.jpg', (i) => i.extractChannel(0).jpeg()],
    ['lossy.webp', (i) => i.removeAlpha().webp()],
    ['lossy-alpha.webp', (i) => i.webp()],
    ['lossless.webp', (i) => i.removeAlpha().webp({ lossless: true })],
    ['lossless-alpha.webp', (i) => i.webp({ lossless: true })],
    ['rgb16.png', (i) => i.removeAlpha().toColourspace('rgb16').png()],
  ];
  const declined: string[] = [];
  for (const [name, make] of variants) {
    const bytes = await make(fromRgba(rgba, 37, 23)).toBuffer();
    const meta = await sharp(bytes).metadata();
    const sniffed = sniffImage(bytes);
    if (sniffed === undefined) {
      declined.push(name); // allowed: the caller asks libvips
      continue;
    }
    assert.deepEqual(sniffed, { format: meta.format, width: meta.width, height: meta.height, hasAlpha: meta.hasAlpha, bitDepth: meta.depth === 'ushort' ? 16 : 8 }, name);
  }
  assert.deepEqual(declined, [], 'every ordinary file is sniffed');
  assert.equal(sniffImage(new Uint8Array([1, 2, 3])), undefined);
  assert.equal(sniffImage(new TextEncoder().encode('\x89PNG\r\n\x1a\n')), undefined, 'truncated header: declines');
});
