// invert — RGB → 255 - x, alpha kept: out = px XOR 0x00ffffff per pixel. halo 0.
export { tessera_abi, alloc } from "../lib/abi";

export function halo(p0: i32, p1: i32, p2: i32, p3: i32): i32 {
  return 0;
}

export function scratch_size(width: i32, height: i32, p0: i32, p1: i32, p2: i32, p3: i32): i32 {
  return 0;
}

export function filter(
  src: usize, srcStride: i32, dst: usize, dstStride: i32, width: i32, height: i32,
  scratch: usize, p0: i32, p1: i32, p2: i32, p3: i32,
): void {
  // 255 - x == x ^ 255 for a byte, so one XOR inverts three channels and keeps alpha.
  const mask = i32x4.splat(0x00ffffff);
  const w16 = width & ~15;
  const w4 = width & ~3;
  for (let y = 0; y < height; y++) {
    const s = src + <usize>(y * srcStride);
    const d = dst + <usize>(y * dstStride);
    let x = 0;
    for (; x < w16; x += 16) {
      const o = <usize>(x << 2);
      const a = v128.load(s + o);
      const b = v128.load(s + o, 16);
      const c = v128.load(s + o, 32);
      const e = v128.load(s + o, 48);
      v128.store(d + o, v128.xor(a, mask));
      v128.store(d + o, v128.xor(b, mask), 16);
      v128.store(d + o, v128.xor(c, mask), 32);
      v128.store(d + o, v128.xor(e, mask), 48);
    }
    for (; x < w4; x += 4) {
      const o = <usize>(x << 2);
      v128.store(d + o, v128.xor(v128.load(s + o), mask));
    }
    for (; x < width; x++) {
      const o = <usize>(x << 2);
      store<u32>(d + o, load<u32>(s + o) ^ 0x00ffffff);
    }
  }
}
