/*
 * tessera_filter.h — filter ABI v1 for C (and C++), the authoring kit's header.
 *
 * Copy this file next to your filter's source (or keep it here: the build helper adds
 * examples/c to the include path) and define the exports declared below. Declaring them
 * here with export_name is what exports them: defining `filter` in your file is enough.
 * Build every form with the manifest embedded:
 *
 *   node scripts/build-native-filter.mjs --src my-filter.c --out my-filters
 *
 * which runs, for the plain form (copy) — the shared form (shared) is the same module
 * with its memory import marked shared, the command form (pipe, disk) links
 * tessera_command.c in and owns its memory:
 *
 *   clang --target=wasm32 -O3 -nostdlib -msimd128 -mbulk-memory -mmutable-globals \
 *     -Wl,--no-entry -Wl,--import-memory -Wl,--stack-first -Wl,-z,stack-size=32768 \
 *     -Wl,--export=__stack_pointer -o my-filter.wasm my-filter.c
 *
 * Memory map (one linear memory, imported as env.memory):
 *   [0, 65536)   the module's: with --stack-first its shadow stack [0, stack-size), then
 *                its data (rodata, data). Data segments past 65536 are refused at load.
 *   [65536, …)   the host's: source tiles, outputs and scratch. Never write there except
 *                through `dst` and `scratch`.
 *
 * Rules (the loader refuses what it can see; the rest would give wrong pixels):
 *   - Import nothing: no libc (-nostdlib), no WASI in the filter itself. memcpy/memset
 *     compile to memory.copy/fill with -mbulk-memory; there is no malloc — take
 *     working memory from `scratch` (ask for it with scratch_size) or the stack.
 *   - No mutable or zero-initialised statics (`static int n;`, a global array you write):
 *     under `shared` every thread's instance shares the module's bytes of the image's
 *     memory, so they would be one copy for all threads; and wasm-ld zeroes .bss in a
 *     start function, which a shared form may not have. `static const` tables are fine.
 *   - The shadow stack. Locals whose address is taken (arrays, structs) live on a stack
 *     in linear memory addressed by the global __stack_pointer. Under `shared` all
 *     threads' instances import the same memory, so a pointer left at its link-time
 *     address would give them one stack between them. Export it (-mmutable-globals
 *     -Wl,--export=__stack_pointer, as the build helper does): before every call tessera
 *     points it at a stack of the calling thread's own, as large as the one you linked
 *     (-z stack-size). A shared form that uses a stack without exporting its pointer is
 *     refused at load. Nothing checks for overflow (as in any C on wasm): keep big
 *     buffers in scratch.
 *   - Deterministic integer or fixed-point arithmetic, so the output does not depend on
 *     the tile size or on which thread ran a tile.
 */
#ifndef TESSERA_FILTER_H
#define TESSERA_FILTER_H

#include <stdint.h>

/** Exports a function under `name` (clang's wasm export_name attribute). */
#define TESSERA_EXPORT(name) __attribute__((export_name(name)))

/** What tessera_abi() returns for this ABI. */
#define TESSERA_ABI_VERSION 1
/** First byte the host owns; the module's data must end below it. */
#define TESSERA_HOST_BASE 65536
/** Largest halo a filter may ask for, in pixels. */
#define TESSERA_MAX_HALO 128

/** Returns TESSERA_ABI_VERSION. Required. */
TESSERA_EXPORT("tessera_abi") int32_t tessera_abi(void);

/**
 * Pixels the filter reads around a tile on every side for these params, 0..TESSERA_MAX_HALO.
 * Required. Clamp params to the manifest's range yourself: a host may pass anything.
 */
TESSERA_EXPORT("halo") int32_t halo(int32_t p0, int32_t p1, int32_t p2, int32_t p3);

/**
 * Bytes of scratch `filter` needs for a width × height tile. Optional (0 when absent);
 * under `shared` the host asks it for a full tile once and gives each thread that much.
 */
TESSERA_EXPORT("scratch_size") int32_t scratch_size(int32_t width, int32_t height, int32_t p0, int32_t p1, int32_t p2, int32_t p3);

/**
 * Filters one tile of RGBA8 pixels. Required.
 *   src        the tile's first interior pixel; `halo` pixels are readable on every side
 *              (replicated at image borders), rows `src_stride` bytes apart
 *   dst        receives width × height pixels, rows `dst_stride` bytes apart
 *   scratch    16-byte aligned, scratch_size(width, height, …) bytes, this call's alone
 *   p0..p3     the params: an `int` param as is, a `number` param as round(value × scale)
 */
TESSERA_EXPORT("filter") void filter(const uint8_t *src, int32_t src_stride, uint8_t *dst, int32_t dst_stride,
                                     int32_t width, int32_t height, uint8_t *scratch,
                                     int32_t p0, int32_t p1, int32_t p2, int32_t p3);

#endif /* TESSERA_FILTER_H */
