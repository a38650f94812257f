// emboss — a worked example of a tessera filter (filter ABI v1), kept outside the
// built-ins. Build it with:
//   node scripts/build-filters.mjs --src examples/emboss.ts --out my-filters
// and run it with:
//   npx tessera run --filter my-filters/emboss.wasm --param strength=3 --input photos --output out
//
// Each output channel is 128 + strength · (p(x+1, y+1) − p(x−1, y−1)), clamped to
// 0..255; alpha is kept. It reads one pixel around the tile, so halo() returns 1 and
// the host guarantees those pixels exist (replicated at image borders).

export function tessera_abi(): i32 {
  return 1;
}

// Hosts that copy tiles in may call alloc; the host owns everything from 65536 up.
export function alloc(bytes: i32): usize {
  const end: usize = 65536 + <usize>bytes;
  const have = (<usize>memory.size()) << 16;
  if (end > have && memory.grow(<i32>((end - have + 0xffff) >> 16)) < 0) return 0;
  return 65536;
}

export function halo(strength: i32, p1: i32, p2: i32, p3: i32): i32 {
  return 1;
}

export function scratch_size(width: i32, height: i32, strength: i32, p1: i32, p2: i32, p3: i32): i32 {
  return 0;
}

export function filter(
  src: usize, srcStride: i32, dst: usize, dstStride: i32, width: i32, height: i32,
  scratch: usize, strength: i32, p1: i32, p2: i32, p3: i32,
): void {
  for (let y = 0; y < height; y++) {
    const row = src + <usize>(y * srcStride);
    const out = dst + <usize>(y * dstStride);
    for (let x = 0; x < width; x++) {
      const p = row + <usize>(x << 2);
      const before = p - <usize>srcStride - 4; // (x-1, y-1): inside the halo at tile edges
      const after = p + <usize>srcStride + 4; // (x+1, y+1)
      for (let c = 0; c < 3; c++) {
        let v = 128 + strength * (<i32>load<u8>(after + c) - <i32>load<u8>(before + c));
        v = v < 0 ? 0 : v > 255 ? 255 : v;
        store<u8>(out + <usize>(x << 2) + c, <u8>v);
      }
      store<u8>(out + <usize>(x << 2) + 3, load<u8>(p + 3));
    }
  }
}
