/** The synthetic Kodak-shaped set: its spec and its pixels, in memory (the PNG files: integration/dataset.test.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderSynthImage, synthDatasetSpec } from 'tessera-bench/dataset/synth';

test('spec is Kodak-shaped: 24 images, 18 landscape + 6 portrait, 9.44 Mpx', () => {
  const spec = synthDatasetSpec();
  assert.equal(spec.length, 24);
  const portrait = spec.flatMap((s, i) => (s.height > s.width ? [i] : []));
  assert.deepEqual(portrait, [3, 8, 9, 17, 18, 19]);
  for (const s of spec) {
    assert.ok((s.width === 768 && s.height === 512) || (s.width === 512 && s.height === 768), `${s.name}: ${s.width}x${s.height}`);
  }
  const mpx = spec.reduce((sum, s) => sum + s.width * s.height, 0) / 1e6;
  assert.equal(mpx.toFixed(2), '9.44');
  assert.equal(spec[0].name, 'kodim01.png');
  assert.equal(spec[23].name, 'kodim24.png');
  assert.equal(new Set(spec.map((s) => s.name)).size, 24);
});

test('spec for other counts keeps a 3:1 landscape:portrait mix', () => {
  assert.deepEqual(synthDatasetSpec(24), synthDatasetSpec());
  for (const n of [1, 4, 8, 12, 30, 48, 100]) {
    const spec = synthDatasetSpec(n);
    assert.equal(spec.length, n);
    const portraits = spec.filter((s) => s.height > s.width).length;
    assert.ok(Math.abs(portraits - n / 4) <= 1, `count ${n}: ${portraits} portrait`);
  }
  assert.equal(synthDatasetSpec(100)[99].name, 'kodim100.png');
  assert.equal(synthDatasetSpec(100)[0].name, 'kodim001.png');
  assert.throws(() => synthDatasetSpec(0), RangeError);
  assert.throws(() => synthDatasetSpec(2.5), RangeError);
});

test('renderSynthImage is deterministic and depends on index and seed', () => {
  const [spec] = synthDatasetSpec(1);
  const a = renderSynthImage(spec, 0, 7);
  assert.equal(a.length, spec.width * spec.height * 3);
  assert.deepEqual(renderSynthImage(spec, 0, 7), a);
  assert.notDeepEqual(renderSynthImage(spec, 0, 8), a);
  assert.notDeepEqual(renderSynthImage(spec, 1, 7), a);
});
