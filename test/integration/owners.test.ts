/**
 * Images come out the way their owners expect (issue 16): EXIF orientation, 16-bit depth,
 * animated inputs, ICC profiles and EXIF kept or stripped, CMYK, output formats, quality and
 * names. A corpus made here with sharp; each output checked pixel by pixel (against the
 * same libvips decode of the input, inverted) or by its metadata.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import sharp from 'sharp';
import { runCli } from '../helpers/cli.js';
import { randomImage, rng } from '../helpers/images.js';
import { tempDir } from '../helpers/temp.js';

const W = 40;
const H = 20;

/** A smooth RGB picture (lossy codecs keep it close), no two rows alike, so a turn or a flip shows. */
function picture(width = W, height = H): Buffer {
  const raw = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) raw.set([x * 6, y * 12, 200 - x * 2], (y * width + x) * 3);
  }
  return raw;
}

const rgbInput = (width = W, height = H) => sharp(picture(width, height), { raw: { width, height, channels: 3 } });

/** `invert` of what libvips decodes `file` to (upright unless `stored`), as RGB: what `tessera run --filter invert` must write. */
async function invertedDecode(file: string, stored = false): Promise<{ data: Buffer; width: number; height: number }> {
  const { data, info } = await sharp(file, { autoOrient: !stored }).toColourspace('srgb').removeAlpha().raw().toBuffer({ resolveWithObject: true });
  for (let i = 0; i < data.length; i++) data[i] = 255 - data[i];
  return { data, width: info.width, height: info.height };
}

async function rgbPixels(file: string): Promise<{ data: Buffer; width: number; height: number }> {
  const { data, info } = await sharp(file).toColourspace('srgb').removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

function maxDifference(a: Uint8Array, b: Uint8Array): number {
  assert.equal(a.length, b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

function meanDifference(a: Uint8Array, b: Uint8Array): number {
  assert.equal(a.length, b.length);
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i] - b[i]);
  return sum / a.length;
}

describe('images as their owners expect', () => {
  const tmp = tempDir('tessera-owners-');
  const run = (input: string, out: string, more: string[] = []) => runCli(['run', '--filter', 'invert', '--input', input, '--output', out, '--no-progress', ...more]);

  let oriented: string;
  before(async () => {
    oriented = join(tmp.dir, 'oriented');
    mkdirSync(oriented);
    // 40×20 stored, every EXIF orientation; 5–8 are shown 20×40.
    for (let o = 1; o <= 8; o++) await rgbInput().withMetadata({ orientation: o }).jpeg({ quality: 95 }).toFile(join(oriented, `o${o}.jpg`));
  });

  test('EXIF orientations 1–8 are applied before filtering: outputs display as the inputs did, their orientation tag reset', async () => {
    const out = join(tmp.dir, 'oriented-out');
    const r = await run(oriented, out, ['--format', 'png']);
    assert.equal(r.code, 0, r.stderr);
    for (let o = 1; o <= 8; o++) {
      const file = join(out, `o${o}.png`);
      const meta = await sharp(file).metadata();
      const turned = o >= 5;
      assert.deepEqual([meta.width, meta.height], turned ? [H, W] : [W, H], `o${o}: shown size`);
      assert.ok(meta.orientation === undefined || meta.orientation === 1, `o${o}: orientation tag ${meta.orientation} after it was applied`);
      const expected = await invertedDecode(join(oriented, `o${o}.jpg`));
      assert.equal(maxDifference((await rgbPixels(file)).data, expected.data), 0, `o${o}: pixels = invert of the upright decode`);
    }
  });

  test('--keep-orientation filters the pixels as stored and keeps the tag', async () => {
    const out = join(tmp.dir, 'kept-out');
    const r = await run(oriented, out, ['--format', 'png', '--keep-orientation']);
    assert.equal(r.code, 0, r.stderr);
    for (const o of [1, 6, 8]) {
      const meta = await sharp(join(out, `o${o}.png`)).metadata();
      assert.deepEqual([meta.width, meta.height], [W, H], `o${o}: stored size`);
      if (o > 1) assert.equal(meta.orientation, o, `o${o}: the tag is kept, so viewers still turn it`);
      assert.equal(maxDifference((await rgbPixels(join(out, `o${o}.png`))).data, (await invertedDecode(join(oriented, `o${o}.jpg`), true)).data), 0);
    }
  });

  test('a 16-bit PNG (gray and RGB) is decoded to 8 bits with a warning naming it, on stderr and in --json', async () => {
    const dir = join(tmp.dir, 'deep');
    mkdirSync(dir);
    await rgbInput().toColourspace('rgb16').png().toFile(join(dir, 'rgb16.png'));
    await rgbInput().toColourspace('grey16').png().toFile(join(dir, 'gray16.png'));
    assert.equal((await sharp(join(dir, 'rgb16.png')).metadata()).depth, 'ushort');
    const out = join(tmp.dir, 'deep-out');
    const r = await run(dir, out, ['--json']);
    assert.equal(r.code, 0, r.stderr);
    for (const name of ['rgb16.png', 'gray16.png']) {
      assert.match(r.stderr, new RegExp(`warning: .*${name.replace('.', '\\.')}: 16-bit PNG decoded to 8 bits per channel`));
      assert.equal((await sharp(join(out, name)).metadata()).depth, 'uchar', `${name} is written 8-bit`);
      assert.equal(maxDifference((await rgbPixels(join(out, name))).data, (await invertedDecode(join(dir, name))).data), 0, name);
    }
    const summary = JSON.parse(r.stdout) as { results: Array<{ input: string; warnings?: string[] }> };
    assert.ok(summary.results.every((x) => x.warnings?.length === 1 && /16-bit/.test(x.warnings[0])), 'each result carries its warning');
  });

  test('animated WebP and GIF: every frame filtered on its own and written back animated with its timing; PNG cannot hold them and says so', async () => {
    const dir = join(tmp.dir, 'animated');
    mkdirSync(dir);
    // Three smooth frames, each unlike the others (lossy codecs keep smooth pictures close).
    const frames = Buffer.alloc(20 * 60 * 4);
    for (let y = 0; y < 60; y++) for (let x = 0; x < 20; x++) frames.set([(x * 12 + y * 40) & 255, (y % 20) * 12, Math.floor(y / 20) * 100, 255], (y * 20 + x) * 4);
    const animated = () => sharp(frames, { raw: { width: 20, height: 60, channels: 4, pageHeight: 20 } });
    await animated().webp({ loop: 2, delay: [100, 150, 200], lossless: true }).toFile(join(dir, 'anim.webp'));
    await animated().gif({ loop: 0, delay: [100, 150, 200] }).toFile(join(dir, 'anim.gif'));
    const out = join(tmp.dir, 'animated-out');
    const r = await runCli(['run', '--filter', 'box-blur', '--param', 'radius=2', '--input', dir, '--output', out, '--no-progress']);
    assert.equal(r.code, 0, r.stderr);
    for (const name of ['anim.webp', 'anim.gif']) {
      const input = await sharp(join(dir, name), { animated: true }).metadata();
      const meta = await sharp(join(out, name), { animated: true }).metadata();
      assert.deepEqual([meta.pages, meta.pageHeight, meta.width, meta.loop, meta.delay], [3, 20, 20, input.loop, input.delay], `${name}: frames, size and timing kept`);
      // Each frame is the frame filtered alone (its borders clamped), as tessera run would filter it as a still image.
      const stills = join(tmp.dir, `frames-${name}`);
      mkdirSync(join(stills, 'in'), { recursive: true });
      for (let f = 0; f < 3; f++) await sharp(join(dir, name), { page: f }).png().toFile(join(stills, 'in', `f${f}.png`));
      const alone = await runCli(['run', '--filter', 'box-blur', '--param', 'radius=2', '--input', join(stills, 'in'), '--output', join(stills, 'out'), '--no-progress']);
      assert.equal(alone.code, 0, alone.stderr);
      for (let f = 0; f < 3; f++) {
        const want = await sharp(join(stills, 'out', `f${f}.png`)).ensureAlpha().raw().toBuffer();
        const got = await sharp(join(out, name), { page: f }).ensureAlpha().raw().toBuffer();
        // Through one lossy encode (WebP at sharp's quality 80; GIF re-quantises to 256 colours): as close as that
        // encode allows. A frame filtered across its neighbours' rows, or another frame's pixels, would be far off.
        // What that one encode alone does to the frame filtered as a still: the yardstick.
        const still = sharp(join(stills, 'out', `f${f}.png`));
        const encoded = await sharp(await (name.endsWith('.gif') ? still.gif() : still.webp({ quality: 80 })).toBuffer()).ensureAlpha().raw().toBuffer();
        const mean = meanDifference(got, want);
        const yardstick = meanDifference(encoded, want);
        assert.ok(mean <= 1.5 * yardstick + 1, `${name} frame ${f}: mean |Δ| ${mean.toFixed(2)}, the encode alone ${yardstick.toFixed(2)}`);
        if (f > 0) {
          const other = await sharp(join(stills, 'out', `f${f - 1}.png`)).ensureAlpha().raw().toBuffer();
          assert.ok(meanDifference(got, other) > 3 * mean + 5, `${name} frame ${f} is not frame ${f - 1}`);
        }
      }
    }
    const png = await run(dir, join(tmp.dir, 'animated-png'), ['--format', 'png']);
    assert.equal(png.code, 1);
    assert.match(png.stderr, /anim\.webp: is an animation of 3 frames, and PNG holds one: write it as webp or gif/);
  });

  test('a multi-page TIFF is refused naming its page count; the other images are written', async () => {
    const dir = join(tmp.dir, 'pages');
    mkdirSync(dir);
    const pages = randomImage(20, 40, rng(4), true);
    await sharp(pages, { raw: { width: 20, height: 40, channels: 4, pageHeight: 20 } }).tiff().toFile(join(dir, 'pages.tiff'));
    await rgbInput().png().toFile(join(dir, 'still.png'));
    const out = join(tmp.dir, 'pages-out');
    const r = await run(dir, out);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /pages\.tiff: is a multi-page TIFF of 2 pages; .*refused/);
    assert.deepEqual(readdirSync(out), ['still.png']);
  });

  test('ICC profiles are kept (a Display-P3 JPEG comes back P3, its colours converted back), EXIF too; --strip drops both', async () => {
    const dir = join(tmp.dir, 'profiles');
    mkdirSync(dir);
    await rgbInput().withIccProfile('p3').withExif({ IFD0: { Copyright: 'tessera test' } }).jpeg({ quality: 100 }).toFile(join(dir, 'p3.jpg'));
    await rgbInput().withIccProfile('srgb').jpeg({ quality: 100 }).toFile(join(dir, 'srgb.jpg'));
    const input = await sharp(join(dir, 'p3.jpg')).metadata();
    assert.ok(input.icc && input.exif);
    const out = join(tmp.dir, 'profiles-out');
    const r = await run(dir, out, ['--format', 'png']);
    assert.equal(r.code, 0, r.stderr);
    const p3 = await sharp(join(out, 'p3.png')).metadata();
    assert.ok(p3.icc?.equals(input.icc), 'the P3 profile is kept, byte for byte');
    assert.ok(p3.exif?.includes('tessera test'), 'EXIF kept');
    // Seen through its profile, the output is the inverse of the input seen through its own: within 4,
    // from two 8-bit conversions through lcms (sRGB → P3 at encode, P3 → sRGB here), at the most saturated colours.
    const seen = maxDifference((await rgbPixels(join(out, 'p3.png'))).data, (await invertedDecode(join(dir, 'p3.jpg'))).data);
    assert.ok(seen <= 4, `${seen}`);
    assert.ok((await sharp(join(out, 'srgb.png')).metadata()).icc, 'an sRGB profile is kept too');
    const stripped = join(tmp.dir, 'profiles-stripped');
    const s = await run(dir, stripped, ['--format', 'png', '--strip']);
    assert.equal(s.code, 0, s.stderr);
    const bare = await sharp(join(stripped, 'p3.png')).metadata();
    assert.equal(bare.icc, undefined);
    assert.equal(bare.exif, undefined);
    // Without a profile the pixels are sRGB: they look the same as the kept output does through its profile.
    assert.ok(maxDifference((await rgbPixels(join(stripped, 'p3.png'))).data, (await invertedDecode(join(dir, 'p3.jpg'))).data) <= 1);
  });

  test('a CMYK JPEG is converted to sRGB the way sharp does and written as RGB', async () => {
    const dir = join(tmp.dir, 'cmyk');
    mkdirSync(dir);
    await rgbInput().toColourspace('cmyk').jpeg({ quality: 100 }).toFile(join(dir, 'cmyk.jpg'));
    assert.equal((await sharp(join(dir, 'cmyk.jpg')).metadata()).space, 'cmyk');
    const out = join(tmp.dir, 'cmyk-out');
    const r = await run(dir, out);
    assert.equal(r.code, 0, r.stderr);
    const meta = await sharp(join(out, 'cmyk.jpg')).metadata();
    assert.equal(meta.space, 'srgb');
    assert.equal(meta.channels, 3);
    const png = join(tmp.dir, 'cmyk-png');
    assert.equal((await run(dir, png, ['--format', 'png'])).code, 0);
    assert.equal(maxDifference((await rgbPixels(join(png, 'cmyk.png'))).data, (await invertedDecode(join(dir, 'cmyk.jpg'))).data), 0, 'the inverse of sharp\'s own sRGB decode');
  });

  test('--format, --quality and --png-level with sharp\'s defaults; --suffix and --name put outputs beside their inputs', async () => {
    const dir = join(tmp.dir, 'formats');
    mkdirSync(dir);
    await sharp(randomImage(64, 48, rng(9), true), { raw: { width: 64, height: 48, channels: 4 } }).png().toFile(join(dir, 'photo.png'));
    for (const format of ['jpeg', 'webp', 'avif', 'tiff', 'gif'] as const) {
      const out = join(tmp.dir, `as-${format}`);
      const r = await run(dir, out, ['--format', format]);
      assert.equal(r.code, 0, r.stderr);
      const [name] = readdirSync(out);
      assert.equal(name, `photo.${{ jpeg: 'jpg', webp: 'webp', avif: 'avif', tiff: 'tiff', gif: 'gif' }[format]}`);
      assert.equal((await sharp(join(out, name)).metadata()).format, format === 'avif' ? 'heif' : format);
    }
    const size = async (more: string[], tag: string) => {
      const out = join(tmp.dir, `size-${tag}`);
      const r = await run(dir, out, more);
      assert.equal(r.code, 0, r.stderr);
      return statSync(join(out, readdirSync(out)[0])).size;
    };
    assert.ok((await size(['--format', 'jpeg', '--quality', '20'], 'q20')) < (await size(['--format', 'jpeg', '--quality', '95'], 'q95')));
    assert.ok((await size(['--png-level', '0'], 'l0')) > (await size(['--png-level', '9'], 'l9')));
    // Beside the input, never over it.
    const beside = await run(dir, dir, ['--suffix', '-inv']);
    assert.equal(beside.code, 0, beside.stderr);
    assert.ok(readdirSync(dir).includes('photo-inv.png'));
    const named = await run(join(dir, 'photo.png'), dir, ['--name', '{name}.{filter}.{ext}', '--format', 'webp']);
    assert.equal(named.code, 0, named.stderr);
    assert.ok(readdirSync(dir).includes('photo.invert.webp'));
    const before = readFileSync(join(dir, 'photo.png'));
    const same = await run(dir, dir);
    assert.equal(same.code, 2, 'the input directory without a renaming --name is refused');
    assert.match(same.stderr, /is the input directory/);
    assert.ok(readFileSync(join(dir, 'photo.png')).equals(before), 'the input is untouched');
    const noName = await run(dir, join(tmp.dir, 'bad-name'), ['--name', 'out.png']);
    assert.equal(noName.code, 2);
    assert.match(noName.stderr, /--name "out\.png" must contain \{name\}/);
  });
});
