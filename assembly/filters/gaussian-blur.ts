// gaussian-blur — separable Gaussian with integer weights that sum to 256, all 4 channels.
//
// sigma = p0 / 100 (p0 clamped to 10..2000), halo R = max(1, floor((3·p0 + 99) / 100)) = ceil(3σ).
// Kernel (computed per call, depends only on p0; see gaussKernel):
//   w_k = expNeg(-k² / (2σ²)) for k = 1..R (w_0 = 1), W = 1 + 2·Σ w_k, v_k = w_k · (256 / W)
//   tail sums T_k = Σ_{j=k..R} v_j (summed from k = R down), q_k = round(T_k) - round(T_{k+1}),
//   q_0 = 256 - 2·round(T_1). So Σ q = 256 exactly, the kernel stays symmetric and every q is
//   within 1 of its real value (the rounding remainder lands on the centre tap).
// Two passes, vertical first, each rounded to 8 bits:
//   V(x, y) = (q_0·p(x, y) + Σ_k q_k·(p(x, y-k) + p(x, y+k)) + 128) >> 8
//   out     = (q_0·V(x, y) + Σ_k q_k·(V(x-k, y) + V(x+k, y)) + 128) >> 8
// With weights summing to 256 and 8-bit inputs every sum is ≤ 255·256 < 2^16, so both passes
// run in exact 16-bit lanes, 8 channels per i16x8, mirrored taps added before the multiply.
// Taps whose weight quantizes to 0 are skipped (the halo stays R: the host contract).
// The vertical pass runs two rows at a time, which shares half of its loads (taps4x2).
export { tessera_abi, alloc } from "../lib/abi";

// Scratch layout: i32 weights [0, 256), splatted i16x8 weights [256, 1280), two rows of V from 1280.
// @ts-ignore: decorator
@inline const TAB_I: usize = 0;
// @ts-ignore: decorator
@inline const TAB_V: usize = 256;
// @ts-ignore: decorator
@inline const ROW: usize = 1280;

// @ts-ignore: decorator
@inline function sigma100(p0: i32): i32 {
  return p0 < 10 ? 10 : p0 > 2000 ? 2000 : p0;
}

// @ts-ignore: decorator
@inline function radiusOf(s100: i32): i32 {
  const r = (3 * s100 + 99) / 100;
  return r < 1 ? 1 : r;
}

/**
 * e^x for x ≤ 0 from + - * / only, so that V8 (the TypeScript reference) and this
 * module produce the same bits: halve x until |x| ≤ 1/4, sum the Taylor series to
 * x^12/12! term by term, square back n times. Must stay in step with expNeg
 * in src/filters/reference/gaussian-blur.ts, operation for operation.
 */
function expNeg(x: f64): f64 {
  let n = 0;
  while (x < -0.25) {
    x = x * 0.5;
    n++;
  }
  let term: f64 = 1.0;
  let sum: f64 = 1.0;
  for (let i = 1; i <= 12; i++) {
    term = (term * x) / <f64>i;
    sum = sum + term;
  }
  for (let i = 0; i < n; i++) sum = sum * sum;
  return sum;
}

/**
 * Writes q_0..q_R as i32 at scratch + TAB_I (see the header for the formula) and
 * returns the effective radius: the largest k with q_k > 0 (0 means identity).
 */
function gaussKernel(s100: i32, scratch: usize): i32 {
  const r = radiusOf(s100);
  const tab = scratch + TAB_I;
  const sigma = <f64>s100 / 100.0;
  const den = 2.0 * sigma * sigma;
  // Raw weights go to TAB_V as f64 for a moment (61·8 bytes fit in its 1024).
  const raw = scratch + TAB_V;
  let s: f64 = 0.0;
  for (let k = 1; k <= r; k++) {
    const w = expNeg(-<f64>(k * k) / den);
    store<f64>(raw + (<usize>k << 3), w);
    s = s + w;
  }
  const scale = 256.0 / (1.0 + 2.0 * s);
  let t: f64 = 0.0;
  let prev = 0;
  let eff = 0;
  for (let k = r; k >= 1; k--) {
    t = t + load<f64>(raw + (<usize>k << 3)) * scale;
    const rounded = <i32>Math.floor(t + 0.5);
    const q = rounded - prev;
    prev = rounded;
    store<i32>(tab + (<usize>k << 2), q);
    if (q > 0 && eff == 0) eff = k;
  }
  store<i32>(tab, 256 - 2 * prev);
  return eff;
}

export function halo(p0: i32, p1: i32, p2: i32, p3: i32): i32 {
  return radiusOf(sigma100(p0));
}

export function scratch_size(width: i32, height: i32, p0: i32, p1: i32, p2: i32, p3: i32): i32 {
  return <i32>ROW + 2 * ((((width + 2 * radiusOf(sigma100(p0))) << 2) + 15) & ~15);
}

/** One 4-pixel (16-channel) vector of a pass: taps at c ± k·step, weights splatted in tabV. */
// @ts-ignore: decorator
@inline function taps4(c: usize, step: usize, tabV: usize, eff: i32): v128 {
  const w0 = v128.load(tabV);
  let lo = i16x8.mul(v128.load8x8_u(c), w0);
  let hi = i16x8.mul(v128.load8x8_u(c, 8), w0);
  let a = c;
  let b = c;
  let wp = tabV;
  for (let k = 1; k <= eff; k++) {
    a -= step;
    b += step;
    wp += 16;
    const w = v128.load(wp);
    lo = i16x8.add(lo, i16x8.mul(i16x8.add(v128.load8x8_u(a), v128.load8x8_u(b)), w));
    hi = i16x8.add(hi, i16x8.mul(i16x8.add(v128.load8x8_u(a, 8), v128.load8x8_u(b, 8)), w));
  }
  const round = i16x8.splat(128);
  return i8x16.narrow_i16x8_u(i16x8.shr_u(i16x8.add(lo, round), 8), i16x8.shr_u(i16x8.add(hi, round), 8));
}

/** Two 4-pixel vectors side by side (8 pixels), sharing the tap loop overhead. */
// @ts-ignore: decorator
@inline function taps8(c: usize, step: usize, tabV: usize, eff: i32, out: usize): void {
  const w0 = v128.load(tabV);
  let l0 = i16x8.mul(v128.load8x8_u(c), w0);
  let h0 = i16x8.mul(v128.load8x8_u(c, 8), w0);
  let l1 = i16x8.mul(v128.load8x8_u(c, 16), w0);
  let h1 = i16x8.mul(v128.load8x8_u(c, 24), w0);
  let a = c;
  let b = c;
  let wp = tabV;
  for (let k = 1; k <= eff; k++) {
    a -= step;
    b += step;
    wp += 16;
    const w = v128.load(wp);
    l0 = i16x8.add(l0, i16x8.mul(i16x8.add(v128.load8x8_u(a), v128.load8x8_u(b)), w));
    h0 = i16x8.add(h0, i16x8.mul(i16x8.add(v128.load8x8_u(a, 8), v128.load8x8_u(b, 8)), w));
    l1 = i16x8.add(l1, i16x8.mul(i16x8.add(v128.load8x8_u(a, 16), v128.load8x8_u(b, 16)), w));
    h1 = i16x8.add(h1, i16x8.mul(i16x8.add(v128.load8x8_u(a, 24), v128.load8x8_u(b, 24)), w));
  }
  const round = i16x8.splat(128);
  v128.store(out, i8x16.narrow_i16x8_u(i16x8.shr_u(i16x8.add(l0, round), 8), i16x8.shr_u(i16x8.add(h0, round), 8)));
  v128.store(out, i8x16.narrow_i16x8_u(i16x8.shr_u(i16x8.add(l1, round), 8), i16x8.shr_u(i16x8.add(h1, round), 8)), 16);
}

/**
 * The vertical pass for two adjacent rows y and y+1 at once, 4 pixels: row y's tap k pairs
 * rows y-k and y+k, row y+1's pairs y+1-k and y+1+k, and rows y+k and y+1-k were loaded
 * at tap k-1 — so each tap loads two new rows for two outputs instead of four.
 */
// @ts-ignore: decorator
@inline function taps4x2(c: usize, step: usize, tabV: usize, eff: i32, outA: usize, outB: usize): void {
  const w0 = v128.load(tabV);
  let uL = v128.load8x8_u(c);
  let uH = v128.load8x8_u(c, 8);
  let dL = v128.load8x8_u(c + step);
  let dH = v128.load8x8_u(c + step, 8);
  let aL = i16x8.mul(uL, w0);
  let aH = i16x8.mul(uH, w0);
  let bL = i16x8.mul(dL, w0);
  let bH = i16x8.mul(dH, w0);
  let up = c;
  let dn = c + step;
  let wp = tabV;
  for (let k = 1; k <= eff; k++) {
    up -= step;
    dn += step;
    wp += 16;
    const w = v128.load(wp);
    const nuL = v128.load8x8_u(up);
    const nuH = v128.load8x8_u(up, 8);
    const ndL = v128.load8x8_u(dn);
    const ndH = v128.load8x8_u(dn, 8);
    aL = i16x8.add(aL, i16x8.mul(i16x8.add(nuL, dL), w));
    aH = i16x8.add(aH, i16x8.mul(i16x8.add(nuH, dH), w));
    bL = i16x8.add(bL, i16x8.mul(i16x8.add(uL, ndL), w));
    bH = i16x8.add(bH, i16x8.mul(i16x8.add(uH, ndH), w));
    uL = nuL;
    uH = nuH;
    dL = ndL;
    dH = ndH;
  }
  const round = i16x8.splat(128);
  v128.store(outA, i8x16.narrow_i16x8_u(i16x8.shr_u(i16x8.add(aL, round), 8), i16x8.shr_u(i16x8.add(aH, round), 8)));
  v128.store(outB, i8x16.narrow_i16x8_u(i16x8.shr_u(i16x8.add(bL, round), 8), i16x8.shr_u(i16x8.add(bH, round), 8)));
}

/** One pixel of a pass, scalar (tails narrower than a vector). */
// @ts-ignore: decorator
@inline function taps1(c: usize, step: usize, tabI: usize, eff: i32, out: usize): void {
  const q0 = load<i32>(tabI);
  for (let ch: usize = 0; ch < 4; ch++) {
    let acc = q0 * <i32>load<u8>(c + ch);
    let a = c + ch;
    let b = c + ch;
    for (let k = 1; k <= eff; k++) {
      a -= step;
      b += step;
      acc += load<i32>(tabI + (<usize>k << 2)) * (<i32>load<u8>(a) + <i32>load<u8>(b));
    }
    store<u8>(out + ch, <u8>((acc + 128) >> 8));
  }
}

/** Runs one pass over n pixels: out[x] = taps around in[x] (in and out are pixel pointers). */
// @ts-ignore: decorator
@inline function pass(inp: usize, out: usize, n: i32, step: usize, tabV: usize, tabI: usize, eff: i32): void {
  let x = 0;
  for (; x + 8 <= n; x += 8) taps8(inp + <usize>(x << 2), step, tabV, eff, out + <usize>(x << 2));
  for (; x + 4 <= n; x += 4) v128.store(out + <usize>(x << 2), taps4(inp + <usize>(x << 2), step, tabV, eff));
  for (; x < n; x++) taps1(inp + <usize>(x << 2), step, tabI, eff, out + <usize>(x << 2));
}

/** The vertical pass of rows y and y+1 (`inp` at row y) into two row buffers. */
function passV2(inp: usize, outA: usize, outB: usize, n: i32, step: usize, tabV: usize, tabI: usize, eff: i32): void {
  let x = 0;
  for (; x + 4 <= n; x += 4) {
    const o = <usize>(x << 2);
    taps4x2(inp + o, step, tabV, eff, outA + o, outB + o);
  }
  for (; x < n; x++) {
    const o = <usize>(x << 2);
    taps1(inp + o, step, tabI, eff, outA + o);
    taps1(inp + o + step, step, tabI, eff, outB + o);
  }
}

export function filter(
  src: usize, srcStride: i32, dst: usize, dstStride: i32, width: i32, height: i32,
  scratch: usize, p0: i32, p1: i32, p2: i32, p3: i32,
): void {
  if (width <= 0 || height <= 0) return;
  const eff = gaussKernel(sigma100(p0), scratch);
  const tabI = scratch + TAB_I;
  const tabV = scratch + TAB_V;
  for (let k = 0; k <= eff; k++) {
    v128.store(tabV + (<usize>k << 4), i16x8.splat(<i16>load<i32>(tabI + (<usize>k << 2))));
  }
  if (eff == 0) {
    // q_0 = 256: (256·p + 128) >> 8 = p in both passes.
    for (let y = 0; y < height; y++) {
      memory.copy(dst + <usize>(y * dstStride), src + <usize>(y * srcStride), <usize>(width << 2));
    }
    return;
  }
  const n = width + 2 * eff;
  const rowA = scratch + ROW;
  const rowB = rowA + <usize>(((n << 2) + 15) & ~15);
  const margin = <usize>(eff << 2);
  const step = <usize>srcStride;
  let y = 0;
  // Vertical pass over columns -eff..width+eff-1 into row buffers (two rows at a time),
  // then the horizontal pass from each row buffer into dst.
  for (; y + 2 <= height; y += 2) {
    passV2(src + <usize>(y * srcStride) - margin, rowA, rowB, n, step, tabV, tabI, eff);
    pass(rowA + margin, dst + <usize>(y * dstStride), width, 4, tabV, tabI, eff);
    pass(rowB + margin, dst + <usize>((y + 1) * dstStride), width, 4, tabV, tabI, eff);
  }
  if (y < height) {
    pass(src + <usize>(y * srcStride) - margin, rowA, n, step, tabV, tabI, eff);
    pass(rowA + margin, dst + <usize>(y * dstStride), width, 4, tabV, tabI, eff);
  }
}
