// Box-window sums shared by box-blur and sharpen.
//
// For a radius r the window is (2r+1)² pixels, d = (2r+1)². Everything is exact
// integer arithmetic, so the order of summation does not matter and the
// TypeScript reference (src/filters/reference/box-sum.ts) matches bit for bit:
//
//   H(x, y) = Σ_{|i|≤r} p(x+i, y)      per channel, ≤ 65·255 = 16575: fits u16
//   V(x, y) = Σ_{|j|≤r} H(x, y+j)      per channel, ≤ 4225·255: i32
//   mean    = floor((V + floor(d/2)) / d)
//
// H rows live in a ring of 2r+2 rows in scratch; V is one i32 row that slides
// down the tile (add the H row entering the window, subtract the one leaving).
//
// As d is odd, floor((V + floor(d/2)) / d) is V / d rounded to nearest (never a tie).
// It is computed as f32(V) · f32(1/d), then + 1.5·2^23 in f32, which rounds to the
// nearest integer and leaves it in the low mantissa bits. Exact for every reachable V:
// V < 2^21 converts exactly; V/d is at least 1/(2d) ≥ 1.18e-4 away from a half-integer;
// the two f32 roundings (of 1/d and of the product) move it by at most
// (V/d)·2^-23 ≤ 256·2^-23 ≈ 3.1e-5; and V/d + 1.5·2^23 lies in [2^23, 2^24) where the
// f32 spacing is 1. (test/filters.test.ts checks every V for every radius.)

/** Radii up to this sum H directly (2r+1 loads per vector); larger radii use a prefix sum. */
// @ts-ignore: decorator
@inline const DIRECT_MAX: i32 = 3;

// @ts-ignore: decorator
@inline function align16(n: i32): i32 {
  return (n + 15) & ~15;
}

// @ts-ignore: decorator
@inline function hRowBytes(width: i32): i32 {
  return align16(width << 3);
}

/** Scratch bytes needed by boxRun for a tile `width` pixels wide and radius `r`. */
export function boxScratchSize(width: i32, r: i32): i32 {
  const ring = (2 * r + 2) * hRowBytes(width);
  const acc = align16(width << 4);
  const prefix = align16((width + 2 * r + 1) << 3);
  return ring + acc + prefix;
}

/**
 * Horizontal window sums of one source row into `out` (u16 per channel, 8 bytes per pixel).
 * `s` points at pixel x = 0 of the row; pixels -r..width-1+r are read.
 */
function hsumRow(s: usize, out: usize, width: i32, r: i32, prefix: usize): void {
  const left = s - <usize>(r << 2);
  if (r <= DIRECT_MAX) {
    const taps = 2 * r + 1;
    let x = 0;
    for (; x + 4 <= width; x += 4) {
      const p = left + <usize>(x << 2);
      let lo = v128.load8x8_u(p);
      let hi = v128.load8x8_u(p, 8);
      let q = p;
      for (let t = 1; t < taps; t++) {
        q += 4;
        lo = i16x8.add(lo, v128.load8x8_u(q));
        hi = i16x8.add(hi, v128.load8x8_u(q, 8));
      }
      const o = out + <usize>(x << 3);
      v128.store(o, lo);
      v128.store(o, hi, 16);
    }
    for (; x < width; x++) {
      let p = left + <usize>(x << 2);
      let c0: u32 = 0, c1: u32 = 0, c2: u32 = 0, c3: u32 = 0;
      for (let t = 0; t < taps; t++) {
        c0 += load<u8>(p); c1 += load<u8>(p, 1); c2 += load<u8>(p, 2); c3 += load<u8>(p, 3);
        p += 4;
      }
      const o = out + <usize>(x << 3);
      store<u16>(o, <u16>c0); store<u16>(o, <u16>c1, 2); store<u16>(o, <u16>c2, 4); store<u16>(o, <u16>c3, 6);
    }
    return;
  }
  // Prefix sums, modulo 2^16 per channel: P[0] = 0, P[i+1] = P[i] + p(i - r).
  // A window sum is P[x+2r+1] - P[x]; it is < 2^16, so the wrap-around cancels.
  const n = width + 2 * r;
  const zero = i32x4.splat(0);
  let carry = zero; // the last prefix value, in both halves
  store<u64>(prefix, 0);
  let i = 0;
  for (; i + 2 <= n; i += 2) {
    let v = v128.load8x8_u(left + <usize>(i << 2)); // [p_i | p_i+1]
    // [p_i | p_i+1] + [0 | p_i] = [p_i | p_i + p_i+1]
    v = i16x8.add(v, i8x16.shuffle(zero, v, 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23));
    v = i16x8.add(v, carry);
    v128.store(prefix + <usize>((i + 1) << 3), v);
    carry = i64x2.shuffle(v, v, 1, 1);
  }
  if (i < n) {
    const v = i16x8.add(i16x8.extend_low_i8x16_u(v128.load32_zero(left + <usize>(i << 2))), carry);
    v128.store64_lane(prefix + <usize>((i + 1) << 3), v, 0);
  }
  const span = <usize>((2 * r + 1) << 3);
  let x = 0;
  for (; x + 2 <= width; x += 2) {
    const p = prefix + <usize>(x << 3);
    v128.store(out + <usize>(x << 3), i16x8.sub(v128.load(p + span), v128.load(p)));
  }
  if (x < width) {
    const p = prefix + <usize>(x << 3);
    v128.store64_lane(out + <usize>(x << 3), i16x8.sub(v128.load64_zero(p + span), v128.load64_zero(p)), 0);
  }
}

/** acc (i32 per channel) += row (u16 per channel), for `width` pixels. */
function accAdd(acc: usize, row: usize, width: i32): void {
  let x = 0;
  for (; x + 2 <= width; x += 2) {
    const h = v128.load(row + <usize>(x << 3));
    const a = acc + <usize>(x << 4);
    v128.store(a, i32x4.add(v128.load(a), i32x4.extend_low_i16x8_u(h)));
    v128.store(a, i32x4.add(v128.load(a, 16), i32x4.extend_high_i16x8_u(h)), 16);
  }
  if (x < width) {
    const a = acc + <usize>(x << 4);
    v128.store(a, i32x4.add(v128.load(a), i32x4.extend_low_i16x8_u(v128.load64_zero(row + <usize>(x << 3)))));
  }
}

/**
 * acc += newRow - oldRow for the 16 channels of pixels x..x+3 (pass the same row twice to
 * leave acc as is). The caller reads the updated sums back from acc.
 */
// @ts-ignore: decorator
@inline function slide4(acc: usize, newRow: usize, oldRow: usize, x: i32): void {
  const hn = newRow + <usize>(x << 3);
  const ho = oldRow + <usize>(x << 3);
  // The difference of two window sums fits i16, so subtract before widening.
  const d0 = i16x8.sub(v128.load(hn), v128.load(ho));
  const d1 = i16x8.sub(v128.load(hn, 16), v128.load(ho, 16));
  const a = acc + <usize>(x << 4);
  v128.store(a, i32x4.add(v128.load(a), i32x4.extend_low_i16x8_s(d0)));
  v128.store(a, i32x4.add(v128.load(a, 16), i32x4.extend_high_i16x8_s(d0)), 16);
  v128.store(a, i32x4.add(v128.load(a, 32), i32x4.extend_low_i16x8_s(d1)), 32);
  v128.store(a, i32x4.add(v128.load(a, 48), i32x4.extend_high_i16x8_s(d1)), 48);
}

/**
 * round(V / d) for 4 lanes, = floor((V + floor(d/2)) / d) as d is odd: V · f32(1/d) in f32,
 * then + 1.5·2^23 rounds to the nearest integer, which lands in the low mantissa bits
 * (see the header for why this is exact).
 */
// @ts-ignore: decorator
@inline function mean4(v: v128, rcp: v128, magic: v128): v128 {
  return i32x4.sub(f32x4.add(f32x4.mul(f32x4.convert_i32x4_s(v), rcp), magic), magic);
}

/** Scalar tail: slides the sum of channel c of pixel x and returns the new sum. */
// @ts-ignore: decorator
@inline function slide1(acc: usize, newRow: usize, oldRow: usize, x: i32, c: usize): i32 {
  const a = acc + <usize>(x << 4) + (c << 2);
  const v = load<i32>(a) + <i32>load<u16>(newRow + <usize>(x << 3) + (c << 1)) - <i32>load<u16>(oldRow + <usize>(x << 3) + (c << 1));
  store<i32>(a, v);
  return v;
}

/** One output row of box-blur: slide the sums (see slide4) and write the means. */
function slideBox(
  acc: usize, newRow: usize, oldRow: usize, d: usize, width: i32, dd: i32, rcp: v128, magic: v128,
): void {
  let x = 0;
  for (; x + 4 <= width; x += 4) {
    slide4(acc, newRow, oldRow, x);
    const a = acc + <usize>(x << 4);
    const m0 = mean4(v128.load(a), rcp, magic);
    const m1 = mean4(v128.load(a, 16), rcp, magic);
    const m2 = mean4(v128.load(a, 32), rcp, magic);
    const m3 = mean4(v128.load(a, 48), rcp, magic);
    v128.store(d + <usize>(x << 2), i8x16.narrow_i16x8_u(i16x8.narrow_i32x4_s(m0, m1), i16x8.narrow_i32x4_s(m2, m3)));
  }
  const half = dd >> 1;
  for (; x < width; x++) {
    for (let c: usize = 0; c < 4; c++) {
      store<u8>(d + <usize>(x << 2) + c, <u8>((slide1(acc, newRow, oldRow, x, c) + half) / dd));
    }
  }
}

/**
 * One output row of sharpen: slide the sums, then p + ((aq·(p - mean) + 128) >> 8) on RGB,
 * clamped to 0..255, alpha from the source.
 */
function slideSharpen(
  acc: usize, newRow: usize, oldRow: usize, s: usize, d: usize, width: i32, dd: i32, aq: i32, rcp: v128, magic: v128,
): void {
  const amount = i16x8.splat(<i16>aq);
  const round8 = i32x4.splat(128);
  const rgbMask = i32x4.splat(0x00ffffff);
  let x = 0;
  for (; x + 4 <= width; x += 4) {
    slide4(acc, newRow, oldRow, x);
    const a = acc + <usize>(x << 4);
    const mlo = i16x8.narrow_i32x4_s(mean4(v128.load(a), rcp, magic), mean4(v128.load(a, 16), rcp, magic));
    const mhi = i16x8.narrow_i32x4_s(mean4(v128.load(a, 32), rcp, magic), mean4(v128.load(a, 48), rcp, magic));
    const o = <usize>(x << 2);
    const px = v128.load(s + o);
    const plo = i16x8.extend_low_i8x16_u(px);
    const phi = i16x8.extend_high_i8x16_u(px);
    const dlo = i16x8.sub(plo, mlo);
    const dhi = i16x8.sub(phi, mhi);
    // aq·(p - mean) needs up to 19 bits: multiply into i32, round, shift, narrow back.
    const t0 = i32x4.shr_s(i32x4.add(i32x4.extmul_low_i16x8_s(dlo, amount), round8), 8);
    const t1 = i32x4.shr_s(i32x4.add(i32x4.extmul_high_i16x8_s(dlo, amount), round8), 8);
    const t2 = i32x4.shr_s(i32x4.add(i32x4.extmul_low_i16x8_s(dhi, amount), round8), 8);
    const t3 = i32x4.shr_s(i32x4.add(i32x4.extmul_high_i16x8_s(dhi, amount), round8), 8);
    const olo = i16x8.add(plo, i16x8.narrow_i32x4_s(t0, t1));
    const ohi = i16x8.add(phi, i16x8.narrow_i32x4_s(t2, t3));
    // Unsigned saturating narrow clamps to 0..255; alpha comes from the source.
    v128.store(d + o, v128.bitselect(i8x16.narrow_i16x8_u(olo, ohi), px, rgbMask));
  }
  const half = dd >> 1;
  for (; x < width; x++) {
    const o = <usize>(x << 2);
    for (let c: usize = 0; c < 4; c++) {
      const mean = (slide1(acc, newRow, oldRow, x, c) + half) / dd;
      const p = <i32>load<u8>(s + o + c);
      let out = c == 3 ? p : p + ((aq * (p - mean) + 128) >> 8);
      out = out < 0 ? 0 : out > 255 ? 255 : out;
      store<u8>(d + o + c, <u8>out);
    }
  }
}

/** One output row: box mean (aq < 0) or unsharp mask (aq ≥ 0). */
// @ts-ignore: decorator
@inline function finishRow(
  acc: usize, newRow: usize, oldRow: usize, s: usize, d: usize, width: i32, dd: i32, aq: i32, rcp: v128, magic: v128,
): void {
  if (aq < 0) slideBox(acc, newRow, oldRow, d, width, dd, rcp, magic);
  else slideSharpen(acc, newRow, oldRow, s, d, width, dd, aq, rcp, magic);
}

/**
 * Runs a box-window filter over a tile: the box mean of all 4 channels (aq < 0),
 * or the unsharp mask with Q8 amount `aq` ≥ 0 on RGB, alpha kept. Reads r pixels
 * of halo on every side; scratch must hold boxScratchSize(width, r) bytes.
 */
export function boxRun(
  src: usize, srcStride: i32, dst: usize, dstStride: i32, width: i32, height: i32,
  scratch: usize, r: i32, aq: i32,
): void {
  if (width <= 0 || height <= 0) return;
  const rowBytes = hRowBytes(width);
  const slots = 2 * r + 2;
  const ring = scratch;
  const acc = ring + <usize>(slots * rowBytes);
  const prefix = acc + <usize>align16(width << 4);
  memory.fill(acc, 0, <usize>(width << 4));
  // Source row j sits in ring slot (j + r) % slots; rows -r..r prime the window.
  for (let j = -r; j <= r; j++) {
    const row = ring + <usize>(((j + r) % slots) * rowBytes);
    hsumRow(src + <usize>(j * srcStride), row, width, r, prefix);
    accAdd(acc, row, width);
  }
  const dd = (2 * r + 1) * (2 * r + 1);
  // Computed here, outside the row loops, and passed down so no loop recomputes them.
  const rcp = f32x4.splat(<f32>1.0 / <f32>dd);
  const magic = f32x4.splat(12582912.0); // 1.5 · 2^23
  const first = ring + <usize>((r % slots) * rowBytes);
  finishRow(acc, first, first, src, dst, width, dd, aq, rcp, magic);
  for (let y = 1; y < height; y++) {
    const jn = y + r;
    const jo = y - r - 1;
    const rowN = ring + <usize>(((jn + r) % slots) * rowBytes);
    const rowO = ring + <usize>(((jo + r) % slots) * rowBytes);
    hsumRow(src + <usize>(jn * srcStride), rowN, width, r, prefix);
    finishRow(acc, rowN, rowO, src + <usize>(y * srcStride), dst + <usize>(y * dstStride), width, dd, aq, rcp, magic);
  }
}
