//! tessera.rs — filter ABI v1 for Rust, the authoring kit's module. Copy it next to your
//! crate root and declare it there (`mod tessera;`); it brings the ABI constants, the panic
//! handler a `#![no_std]` cdylib needs, and the WASI command form (`pipe`, `disk`), built
//! when the crate is compiled with `--cfg tessera_command`. Your crate root defines the
//! exports, each `#[no_mangle] pub extern "C"`:
//!
//! ```text
//! tessera_abi() -> i32                                   returns tessera::ABI_VERSION
//! halo(p0, p1, p2, p3: i32) -> i32                       pixels read around a tile, 0..=MAX_HALO
//! scratch_size(width, height, p0, p1, p2, p3: i32) -> i32  scratch bytes for a tile (0 if none)
//! unsafe filter(src: *const u8, src_stride: i32, dst: *mut u8, dst_stride: i32,
//!               width: i32, height: i32, scratch: *mut u8, p0, p1, p2, p3: i32)
//! ```
//!
//! `src` points at the tile's first interior pixel (RGBA8) with `halo` pixels readable on
//! every side, `dst` receives width × height pixels, `scratch` is 16-byte aligned and the
//! call's own. Build every form with the manifest embedded:
//!
//! ```text
//! node scripts/build-native-filter.mjs --src my_filter.rs --out my-filters
//! ```
//!
//! which runs, for the plain form (the shared form is the same module with its memory
//! import marked shared):
//!
//! ```text
//! /usr/bin/rustc --edition 2021 --crate-type cdylib --target wasm32-unknown-unknown \
//!   -C opt-level=3 -C panic=abort -C debuginfo=0 -C target-feature=+simd128,+bulk-memory,+mutable-globals \
//!   -C link-arg=--import-memory -C link-arg=-zstack-size=32768 -C link-arg=--export=__stack_pointer \
//!   -C link-arg=--strip-debug -o my_filter.wasm my_filter.rs
//! ```
//!
//! Memory map: `[0, 65536)` is the module's — rustc links wasm32 with `--stack-first`, so
//! its shadow stack is `[0, stack-size)` and its data follows; data past 65536 is refused at
//! load. Everything above belongs to the host: write only through `dst` and `scratch`.
//!
//! Rules:
//! - `#![no_std]`, no allocator, import nothing: working memory comes from `scratch` or the
//!   stack. Raw pointers, not slices, for the pixels: an index out of bounds panics, and a
//!   panic is a trap (the panic handler below), reported with the tile it failed on.
//! - No `static mut` and no interior-mutable statics: under `shared` every thread's instance
//!   shares the module's bytes of the image's memory. Constant tables are fine.
//! - The shadow stack: locals whose address is taken live on a stack in linear memory
//!   addressed by the global `__stack_pointer`. Under `shared` all threads' instances import
//!   one memory, so a pointer left at its link-time address would give them one stack.
//!   Export it (`+mutable-globals`, `--export=__stack_pointer`, as the build helper does):
//!   before every call tessera points it at a stack of the calling thread's own, as large as
//!   the one you linked (`-zstack-size`). A shared form that uses a stack without exporting
//!   its pointer is refused at load. Overflow is not checked: keep big buffers in scratch.
//! - Integer or fixed-point arithmetic, so a tile's output never depends on its size or thread.

/// What `tessera_abi()` returns for this ABI.
pub const ABI_VERSION: i32 = 1;
/// First byte the host owns; the module's data must end below it.
#[allow(dead_code)]
pub const HOST_BASE: usize = 65536;
/// Largest halo a filter may ask for, in pixels.
#[allow(dead_code)]
pub const MAX_HALO: i32 = 128;

/// A panic (an index out of bounds, an overflow check) ends the call with a trap, which
/// tessera reports naming the filter, image and tile.
#[cfg(not(test))]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    core::arch::wasm32::unreachable()
}

/// The WASI command form, for the `pipe` and `disk` strategies: reads tile frames from
/// fd 0, runs `crate::filter` on them and writes the results to fd 1 (the frame format is
/// the one in assembly/lib/command.ts). It imports only fd_read, fd_write and proc_exit.
#[cfg(tessera_command)]
mod command {
    #[repr(C)]
    struct IoVec {
        buf: *mut u8,
        len: u32,
    }

    #[link(wasm_import_module = "wasi_snapshot_preview1")]
    extern "C" {
        fn fd_read(fd: i32, iovs: *const IoVec, count: i32, nread: *mut u32) -> u16;
        fn fd_write(fd: i32, iovs: *const IoVec, count: i32, nwritten: *mut u32) -> u16;
        fn proc_exit(code: i32) -> !;
    }

    const MAGIC_IN: u32 = 0x3152_5354; // "TSR1"
    const MAGIC_OUT: u32 = 0x314f_5354; // "TSO1"

    fn align16(n: usize) -> usize {
        (n + 15) & !15
    }

    // Pipes deliver partial reads and accept partial writes: loop until done or end of input.
    unsafe fn read_fully(ptr: *mut u8, len: usize) -> usize {
        let mut done = 0;
        while done < len {
            let iov = IoVec { buf: ptr.add(done), len: (len - done) as u32 };
            let mut n = 0u32;
            if fd_read(0, &iov, 1, &mut n) != 0 {
                proc_exit(2);
            }
            if n == 0 {
                break;
            }
            done += n as usize;
        }
        done
    }

    unsafe fn write_fully(ptr: *mut u8, len: usize) {
        let mut done = 0;
        while done < len {
            let iov = IoVec { buf: ptr.add(done), len: (len - done) as u32 };
            let mut n = 0u32;
            if fd_write(1, &iov, 1, &mut n) != 0 {
                proc_exit(2);
            }
            done += n as usize;
        }
    }

    // Frames live from HOST_BASE up, as in the plain form; memory grows to fit (exit 4 past its maximum).
    unsafe fn ensure_memory(end: usize) {
        let have = core::arch::wasm32::memory_size::<0>() << 16;
        if end > have && core::arch::wasm32::memory_grow::<0>((end - have + 0xffff) >> 16) == usize::MAX {
            proc_exit(4);
        }
    }

    unsafe fn word(p: *const u8, at: usize) -> i32 {
        core::ptr::read_unaligned(p.add(at) as *const i32)
    }

    /// Serves frames until end of input (exit 0); an end-of-image frame exits 75, a malformed one 3.
    #[no_mangle]
    pub unsafe extern "C" fn _start() {
        let header = super::HOST_BASE as *mut u8;
        ensure_memory(super::HOST_BASE + 64);
        loop {
            let got = read_fully(header, 32);
            if got == 0 {
                proc_exit(0);
            }
            if got < 32 || word(header, 0) as u32 != MAGIC_IN {
                proc_exit(3);
            }
            let (width, height, halo) = (word(header, 4), word(header, 8), word(header, 12));
            let (p0, p1, p2, p3) = (word(header, 16), word(header, 20), word(header, 24), word(header, 28));
            if width == 0 && height == 0 {
                proc_exit(75);
            }
            if width <= 0 || height <= 0 || halo < 0 || halo > super::MAX_HALO || width > 65536 || height > 65536 {
                proc_exit(3);
            }
            let in_stride = ((width + 2 * halo) as usize) << 2;
            let in_bytes = in_stride * (height + 2 * halo) as usize;
            let out_bytes = width as usize * height as usize * 4;
            let src = header.add(64);
            let out = align16(src as usize + in_bytes) as *mut u8;
            let dst = out.add(16);
            let scratch = align16(dst as usize + out_bytes) as *mut u8;
            let need = crate::scratch_size(width, height, p0, p1, p2, p3);
            ensure_memory(scratch as usize + if need > 0 { need as usize } else { 0 });
            if read_fully(src, in_bytes) != in_bytes {
                proc_exit(3);
            }
            let first = src.add(halo as usize * in_stride + ((halo as usize) << 2));
            crate::filter(first, in_stride as i32, dst, width << 2, width, height, scratch, p0, p1, p2, p3);
            for (at, v) in [(0, MAGIC_OUT), (4, width as u32), (8, height as u32), (12, 0)] {
                core::ptr::write_unaligned(out.add(at) as *mut u32, v);
            }
            write_fully(out, 16 + out_bytes);
        }
    }
}
