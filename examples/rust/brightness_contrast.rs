//! brightness-contrast in Rust — a point filter with two params, the built-in
//! assembly/filters/brightness-contrast.ts ported to `core::arch::wasm32`, bit-identical to
//! its TypeScript reference (src/reference/brightness-contrast.ts). Per channel on RGB,
//! alpha kept, halo 0:
//!
//! ```text
//! F   = contrast <= 0 ? floor(((100 + contrast)·4096 + 50) / 100)                 (slope 0..1, Q12)
//!                     : floor((409600 + floor(k/2)) / k), k = max(1, 100 - contrast) (slope 1..100)
//! out = clamp((((x + brightness - 128)·F + 2048) >> 12) + 128, 0, 255)
//! ```
//!
//! Build: node scripts/build-native-filter.mjs --src examples/rust/brightness_contrast.rs --out my-filters
#![no_std]

mod tessera;

use core::arch::wasm32::*;

/// The contrast slope in Q12, rounded to nearest; must match slopeQ12 in the reference.
fn slope_q12(c: i32) -> i32 {
    if c <= 0 {
        return ((100 + c) * 4096 + 50) / 100;
    }
    let k = (100 - c).max(1);
    (409600 + (k >> 1)) / k
}

/// (v·F + 2048) >> 12 for 4 lanes; |v·F| <= 383·409600 < 2^31.
#[inline(always)]
fn quarter(v: v128, f: v128, round: v128) -> v128 {
    i32x4_shr(i32x4_add(i32x4_mul(v, f), round), 12)
}

#[no_mangle]
pub extern "C" fn tessera_abi() -> i32 {
    tessera::ABI_VERSION
}

#[no_mangle]
pub extern "C" fn halo(_p0: i32, _p1: i32, _p2: i32, _p3: i32) -> i32 {
    0
}

#[no_mangle]
pub extern "C" fn scratch_size(_width: i32, _height: i32, _p0: i32, _p1: i32, _p2: i32, _p3: i32) -> i32 {
    0
}

/// # Safety
/// The host's ABI v1 contract: `src` and `dst` hold the tile's rows.
#[no_mangle]
pub unsafe extern "C" fn filter(
    src: *const u8, src_stride: i32, dst: *mut u8, dst_stride: i32, width: i32, height: i32,
    _scratch: *mut u8, p0: i32, p1: i32, _p2: i32, _p3: i32,
) {
    let bright = p0.clamp(-255, 255);
    let f = slope_q12(p1.clamp(-100, 100));
    let fv = i32x4_splat(f);
    let offset = i16x8_splat((bright - 128) as i16);
    let round = i32x4_splat(2048);
    let mid = i16x8_splat(128);
    let rgb = i32x4_splat(0x00ff_ffff);
    let w4 = width & !3;
    for y in 0..height {
        let s = src.offset(y as isize * src_stride as isize);
        let d = dst.offset(y as isize * dst_stride as isize);
        let mut x = 0;
        while x < w4 {
            let o = (x as usize) << 2;
            let px = v128_load(s.add(o) as *const v128);
            let lo = i16x8_add(u16x8_extend_low_u8x16(px), offset); // x + b - 128, in -383..382
            let hi = i16x8_add(u16x8_extend_high_u8x16(px), offset);
            let q0 = quarter(i32x4_extend_low_i16x8(lo), fv, round);
            let q1 = quarter(i32x4_extend_high_i16x8(lo), fv, round);
            let q2 = quarter(i32x4_extend_low_i16x8(hi), fv, round);
            let q3 = quarter(i32x4_extend_high_i16x8(hi), fv, round);
            // Saturating narrows and adds keep out-of-range values out of range; the final
            // unsigned narrow clamps to 0..255. Alpha comes from the source.
            let olo = i16x8_add_sat(i16x8_narrow_i32x4(q0, q1), mid);
            let ohi = i16x8_add_sat(i16x8_narrow_i32x4(q2, q3), mid);
            v128_store(d.add(o) as *mut v128, v128_bitselect(u8x16_narrow_i16x8(olo, ohi), px, rgb));
            x += 4;
        }
        while x < width {
            let o = (x as usize) << 2;
            for c in 0..3 {
                let v = ((((*s.add(o + c) as i32) + bright - 128) * f + 2048) >> 12) + 128;
                *d.add(o + c) = v.clamp(0, 255) as u8;
            }
            *d.add(o + 3) = *s.add(o + 3);
            x += 1;
        }
    }
}
