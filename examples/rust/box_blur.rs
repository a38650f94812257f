//! box-blur in Rust — the built-in box-blur (assembly/filters/box-blur.ts, assembly/lib/box.ts)
//! ported to `core::arch::wasm32`, bit-identical to its TypeScript reference
//! (src/reference/box-blur.ts) and doing the same work per tile.
//!
//! Mean of the (2r+1)² window on all four channels, rounded:
//! out = floor((Σ window + floor(d/2)) / d), d = (2r+1)², halo = r. Separable and exact:
//! horizontal window sums per row (u16 per channel) into a ring of 2r+2 rows in scratch,
//! one i32 row of vertical sums sliding down the tile; V / d rounded as
//! f32(V)·f32(1/d) + 1.5·2^23 (exact for every reachable V: see assembly/lib/box.ts).
//!
//! Build: node scripts/build-native-filter.mjs --src examples/rust/box_blur.rs --out my-filters
#![no_std]

mod tessera;

use core::arch::wasm32::*;

/// Radii up to this sum the window directly (2r+1 loads per vector); larger ones use a prefix sum.
const DIRECT_MAX: i32 = 3;

fn align16(n: i32) -> i32 {
    (n + 15) & !15
}

fn h_row_bytes(width: i32) -> i32 {
    align16(width << 3)
}

/// The radius param, clamped to the manifest range so a bad host value cannot widen the halo.
fn radius(p0: i32) -> i32 {
    p0.clamp(1, 32)
}

#[no_mangle]
pub extern "C" fn tessera_abi() -> i32 {
    tessera::ABI_VERSION
}

#[no_mangle]
pub extern "C" fn halo(p0: i32, _p1: i32, _p2: i32, _p3: i32) -> i32 {
    radius(p0)
}

/// The ring of 2r+2 horizontal-sum rows, the i32 vertical sums, the prefix row of large radii.
fn box_scratch_size(width: i32, r: i32) -> i32 {
    let ring = (2 * r + 2) * h_row_bytes(width);
    let acc = align16(width << 4);
    let prefix = align16((width + 2 * r + 1) << 3);
    ring + acc + prefix
}

#[no_mangle]
pub extern "C" fn scratch_size(width: i32, _height: i32, p0: i32, _p1: i32, _p2: i32, _p3: i32) -> i32 {
    box_scratch_size(width, radius(p0))
}

unsafe fn load(p: *const u8) -> v128 {
    v128_load(p as *const v128)
}

unsafe fn store(p: *mut u8, v: v128) {
    v128_store(p as *mut v128, v)
}

/// Horizontal window sums of one source row into `out` (u16 per channel, 8 bytes a pixel).
/// `s` points at pixel 0 of the row; pixels -r ..= width-1+r are read.
unsafe fn hsum_row(s: *const u8, out: *mut u8, width: i32, r: i32, prefix: *mut u8) {
    let left = s.offset(-(r as isize) * 4);
    if r <= DIRECT_MAX {
        let taps = 2 * r + 1;
        let mut x = 0;
        while x + 4 <= width {
            let p = left.add((x as usize) << 2);
            let mut lo = u16x8_load_extend_u8x8(p);
            let mut hi = u16x8_load_extend_u8x8(p.add(8));
            let mut q = p;
            for _ in 1..taps {
                q = q.add(4);
                lo = i16x8_add(lo, u16x8_load_extend_u8x8(q));
                hi = i16x8_add(hi, u16x8_load_extend_u8x8(q.add(8)));
            }
            let o = out.add((x as usize) << 3);
            store(o, lo);
            store(o.add(16), hi);
            x += 4;
        }
        while x < width {
            let mut p = left.add((x as usize) << 2);
            let (mut c0, mut c1, mut c2, mut c3) = (0u32, 0u32, 0u32, 0u32);
            for _ in 0..taps {
                c0 += *p as u32;
                c1 += *p.add(1) as u32;
                c2 += *p.add(2) as u32;
                c3 += *p.add(3) as u32;
                p = p.add(4);
            }
            let o = out.add((x as usize) << 3) as *mut u16;
            o.write_unaligned(c0 as u16);
            o.add(1).write_unaligned(c1 as u16);
            o.add(2).write_unaligned(c2 as u16);
            o.add(3).write_unaligned(c3 as u16);
            x += 1;
        }
        return;
    }
    // Prefix sums modulo 2^16 per channel: P[0] = 0, P[i+1] = P[i] + p(i - r). A window sum
    // is P[x+2r+1] - P[x] < 2^16, so the wrap-around cancels.
    let n = width + 2 * r;
    let zero = i32x4_splat(0);
    let mut carry = zero; // the last prefix value, in both halves
    v128_store64_lane::<0>(zero, prefix as *mut u64);
    let mut i = 0;
    while i + 2 <= n {
        let mut v = u16x8_load_extend_u8x8(left.add((i as usize) << 2)); // [p_i | p_i+1]
        // [p_i | p_i+1] + [0 | p_i] = [p_i | p_i + p_i+1]
        v = i16x8_add(v, i8x16_shuffle::<0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23>(zero, v));
        v = i16x8_add(v, carry);
        store(prefix.add(((i + 1) as usize) << 3), v);
        carry = i64x2_shuffle::<1, 1>(v, v);
        i += 2;
    }
    if i < n {
        let v = i16x8_add(u16x8_extend_low_u8x16(v128_load32_zero(left.add((i as usize) << 2) as *const u32)), carry);
        v128_store64_lane::<0>(v, prefix.add(((i + 1) as usize) << 3) as *mut u64);
    }
    let span = ((2 * r + 1) as usize) << 3;
    let mut x = 0;
    while x + 2 <= width {
        let p = prefix.add((x as usize) << 3);
        store(out.add((x as usize) << 3), i16x8_sub(load(p.add(span)), load(p)));
        x += 2;
    }
    if x < width {
        let p = prefix.add((x as usize) << 3);
        let d = i16x8_sub(v128_load64_zero(p.add(span) as *const u64), v128_load64_zero(p as *const u64));
        v128_store64_lane::<0>(d, out.add((x as usize) << 3) as *mut u64);
    }
}

/// acc (i32 per channel) += row (u16 per channel), for `width` pixels.
unsafe fn acc_add(acc: *mut u8, row: *const u8, width: i32) {
    let mut x = 0;
    while x + 2 <= width {
        let h = load(row.add((x as usize) << 3));
        let a = acc.add((x as usize) << 4);
        store(a, i32x4_add(load(a), u32x4_extend_low_u16x8(h)));
        store(a.add(16), i32x4_add(load(a.add(16)), u32x4_extend_high_u16x8(h)));
        x += 2;
    }
    if x < width {
        let a = acc.add((x as usize) << 4);
        let h = v128_load64_zero(row.add((x as usize) << 3) as *const u64);
        store(a, i32x4_add(load(a), u32x4_extend_low_u16x8(h)));
    }
}

/// acc += new_row - old_row for the 16 channels of pixels x..x+3 (the same row twice leaves acc as is).
#[inline(always)]
unsafe fn slide4(acc: *mut u8, new_row: *const u8, old_row: *const u8, x: i32) {
    let hn = new_row.add((x as usize) << 3);
    let ho = old_row.add((x as usize) << 3);
    // The difference of two window sums fits i16, so subtract before widening.
    let d0 = i16x8_sub(load(hn), load(ho));
    let d1 = i16x8_sub(load(hn.add(16)), load(ho.add(16)));
    let a = acc.add((x as usize) << 4);
    store(a, i32x4_add(load(a), i32x4_extend_low_i16x8(d0)));
    store(a.add(16), i32x4_add(load(a.add(16)), i32x4_extend_high_i16x8(d0)));
    store(a.add(32), i32x4_add(load(a.add(32)), i32x4_extend_low_i16x8(d1)));
    store(a.add(48), i32x4_add(load(a.add(48)), i32x4_extend_high_i16x8(d1)));
}

/// round(V / d) for 4 lanes: V·f32(1/d) + 1.5·2^23 leaves the rounded integer in the low mantissa bits.
#[inline(always)]
fn mean4(v: v128, rcp: v128, magic: v128) -> v128 {
    i32x4_sub(f32x4_add(f32x4_mul(f32x4_convert_i32x4(v), rcp), magic), magic)
}

/// Scalar tail: slides the sum of channel c of pixel x and returns the new sum.
#[inline(always)]
unsafe fn slide1(acc: *mut u8, new_row: *const u8, old_row: *const u8, x: i32, c: usize) -> i32 {
    let a = acc.add(((x as usize) << 4) + (c << 2)) as *mut i32;
    let hn = new_row.add(((x as usize) << 3) + (c << 1)) as *const u16;
    let ho = old_row.add(((x as usize) << 3) + (c << 1)) as *const u16;
    let v = a.read_unaligned() + hn.read_unaligned() as i32 - ho.read_unaligned() as i32;
    a.write_unaligned(v);
    v
}

/// One output row: slide the sums and write the means.
unsafe fn slide_box(acc: *mut u8, new_row: *const u8, old_row: *const u8, d: *mut u8, width: i32, dd: i32, rcp: v128, magic: v128) {
    let mut x = 0;
    while x + 4 <= width {
        slide4(acc, new_row, old_row, x);
        let a = acc.add((x as usize) << 4);
        let m0 = mean4(load(a), rcp, magic);
        let m1 = mean4(load(a.add(16)), rcp, magic);
        let m2 = mean4(load(a.add(32)), rcp, magic);
        let m3 = mean4(load(a.add(48)), rcp, magic);
        store(d.add((x as usize) << 2), u8x16_narrow_i16x8(i16x8_narrow_i32x4(m0, m1), i16x8_narrow_i32x4(m2, m3)));
        x += 4;
    }
    let half = dd >> 1;
    while x < width {
        for c in 0..4 {
            *d.add(((x as usize) << 2) + c) = ((slide1(acc, new_row, old_row, x, c) + half) / dd) as u8;
        }
        x += 1;
    }
}

/// # Safety
/// The host's ABI v1 contract: `src` has `halo` readable pixels on every side, `dst` and
/// `scratch` hold what the tile needs.
#[no_mangle]
pub unsafe extern "C" fn filter(
    src: *const u8, src_stride: i32, dst: *mut u8, dst_stride: i32, width: i32, height: i32,
    scratch: *mut u8, p0: i32, _p1: i32, _p2: i32, _p3: i32,
) {
    if width <= 0 || height <= 0 {
        return;
    }
    let r = radius(p0);
    let row_bytes = h_row_bytes(width) as usize;
    let slots = 2 * r + 2;
    let ring = scratch;
    let acc = ring.add(slots as usize * row_bytes);
    let prefix = acc.add(align16(width << 4) as usize);
    core::ptr::write_bytes(acc, 0, (width << 4) as usize);
    let row_at = |j: i32| src.offset(j as isize * src_stride as isize);
    let slot = |j: i32| ring.add(((j + r) % slots) as usize * row_bytes);
    // Source row j sits in ring slot (j + r) % slots; rows -r..=r prime the window.
    for j in -r..=r {
        hsum_row(row_at(j), slot(j), width, r, prefix);
        acc_add(acc, slot(j), width);
    }
    let dd = (2 * r + 1) * (2 * r + 1);
    let rcp = f32x4_splat(1.0 / dd as f32);
    let magic = f32x4_splat(12582912.0); // 1.5 · 2^23
    slide_box(acc, slot(0), slot(0), dst, width, dd, rcp, magic);
    for y in 1..height {
        let (jn, jo) = (y + r, y - r - 1);
        hsum_row(row_at(jn), slot(jn), width, r, prefix);
        slide_box(acc, slot(jn), slot(jo), dst.offset(y as isize * dst_stride as isize), width, dd, rcp, magic);
    }
}
